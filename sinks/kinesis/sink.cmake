# The Kinesis sink: config, batcher, codec, retrier, HTTP client, signer
# glue, dead letters and the sink itself. Included by CMakeLists.txt here.
add_library(streamgate_sink_kinesis STATIC
  ${CMAKE_CURRENT_LIST_DIR}/batcher.cc
  ${CMAKE_CURRENT_LIST_DIR}/codec.cc
  ${CMAKE_CURRENT_LIST_DIR}/config.cc
  ${CMAKE_CURRENT_LIST_DIR}/dead_letter_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/endpoint.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/kinesis_api.cc
  ${CMAKE_CURRENT_LIST_DIR}/kinesis_sink.cc
  ${CMAKE_CURRENT_LIST_DIR}/log_limiter.cc
  ${CMAKE_CURRENT_LIST_DIR}/request_signer.cc
  ${CMAKE_CURRENT_LIST_DIR}/retrier.cc
  ${CMAKE_CURRENT_LIST_DIR}/tail/stream_reader.cc
)
target_link_libraries(streamgate_sink_kinesis PUBLIC
  streamgate_common streamgate_dead_letter
  streamgate_aws CURL::libcurl simdjson::simdjson yaml-cpp spdlog::spdlog
  absl::status absl::statusor absl::strings absl::time absl::synchronization
  absl::flat_hash_map
  Threads::Threads)

# streamgate-tail: reads a stream back with the same signer, HTTP client and
# credentials chain.
add_executable(streamgate-tail ${CMAKE_CURRENT_LIST_DIR}/tail/main.cc)
target_link_libraries(streamgate-tail PRIVATE streamgate_sink_kinesis)
