# Install rules and the Debian package: `cpack -G DEB` in the build directory
# (README.md, "Debian package"). Included at the end of the top-level
# CMakeLists.txt so every optional target is known; binaries that are not
# built in this tree are skipped.
include(GNUInstallDirs)
set(SG_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

foreach(binary streamgate streamgate-tail streamgate-ctl streamgate-sim)
  if(TARGET ${binary})
    install(TARGETS ${binary} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
            COMPONENT streamgate)
  endif()
endforeach()

# Absolute destinations: /etc and /lib are outside the /usr prefix.
install(FILES ${SG_PACKAGING_DIR}/streamgate.yaml
        DESTINATION /etc/streamgate COMPONENT streamgate)
install(FILES ${SG_PACKAGING_DIR}/streamgate.service
        DESTINATION /lib/systemd/system COMPONENT streamgate)
install(FILES ${CMAKE_SOURCE_DIR}/README.md
              ${SG_PACKAGING_DIR}/../sim/simulated_events.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT streamgate)
# The nginx front for untrusted networks (README "Security and limits"):
# an example to copy into /etc/nginx/conf.d, not installed there.
install(FILES ${SG_PACKAGING_DIR}/nginx-streamgate.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT streamgate)

# The --help text as documentation: a man page made by help2man when it is
# installed (Debian package help2man), and always as plain text.
set(SG_DOC_GEN ${CMAKE_BINARY_DIR}/packaging)
if(TARGET streamgate)
  set(SG_DOC_OUTPUTS ${SG_DOC_GEN}/streamgate.help.txt)
  add_custom_command(
    OUTPUT ${SG_DOC_GEN}/streamgate.help.txt
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SG_DOC_GEN}
    COMMAND sh -c "\"$1\" --help > \"$2\"" sh $<TARGET_FILE:streamgate>
            ${SG_DOC_GEN}/streamgate.help.txt
    DEPENDS streamgate
    COMMENT "streamgate --help -> streamgate.help.txt"
    VERBATIM)
  install(FILES ${SG_DOC_GEN}/streamgate.help.txt
          DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT streamgate)
  find_program(HELP2MAN help2man)
  if(HELP2MAN)
    list(APPEND SG_DOC_OUTPUTS ${SG_DOC_GEN}/streamgate.1.gz)
    add_custom_command(
      OUTPUT ${SG_DOC_GEN}/streamgate.1.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${SG_DOC_GEN}
      COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 ${HELP2MAN} --no-info --locale=C.UTF-8 --section=1 --source=streamgate
              --version-string=${PROJECT_VERSION}
              "--name=edge gateway from gRPC and MQTT to Kinesis, files or stdout"
              --output=${SG_DOC_GEN}/streamgate.1 $<TARGET_FILE:streamgate>
      COMMAND gzip -9nf ${SG_DOC_GEN}/streamgate.1
      DEPENDS streamgate
      COMMENT "help2man streamgate -> streamgate.1.gz"
      VERBATIM)
    install(FILES ${SG_DOC_GEN}/streamgate.1.gz
            DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT streamgate)
  endif()
  # Built with `all`, so `cpack` (which installs from the build tree) finds it.
  add_custom_target(streamgate_docs ALL DEPENDS ${SG_DOC_OUTPUTS})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME streamgate)
set(CPACK_PACKAGE_VENDOR "streamgate")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Edge gateway: gRPC and MQTT in; AWS Kinesis, file or stdout out")
set(CPACK_PACKAGE_DESCRIPTION
    "streamgate takes MODE-style events and bulk data from IoT devices over MQTT
and from programs over gRPC, routes them to modules and delivers them to AWS
Kinesis Data Streams, files or stdout. Runs as the systemd service
streamgate.service under its own user.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "streamgate maintainers <streamgate@localhost>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime libraries from dpkg-shlibdeps; adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SG_PACKAGING_DIR}/postinst ${SG_PACKAGING_DIR}/prerm
    ${SG_PACKAGING_DIR}/postrm
    # The config is a conffile: dpkg keeps an edited one across upgrades.
    ${SG_PACKAGING_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
