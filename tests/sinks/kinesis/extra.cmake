# streamgate-tail's test runs the built binary.
if(TARGET kinesis_tail_test AND TARGET streamgate-tail)
  target_compile_definitions(kinesis_tail_test PRIVATE
    STREAMGATE_TAIL_BIN="$<TARGET_FILE:streamgate-tail>")
  add_dependencies(kinesis_tail_test streamgate-tail)
endif()
