# Installs the public header, the libraries, a CMake package (find_package(acidentity) ->
# acidentity::acidentity) and a pkg-config file (acidentity.pc).
include(CMakePackageConfigHelpers)

set(ACID_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/acidentity)
set(ACID_INSTALL_TARGETS)
if(ACID_BUILD_SHARED)
  list(APPEND ACID_INSTALL_TARGETS acidentity)
endif()
if(ACID_BUILD_STATIC)
  list(APPEND ACID_INSTALL_TARGETS acidentity_static)
endif()

install(TARGETS ${ACID_INSTALL_TARGETS}
  EXPORT acidentityTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/acidentity DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT acidentityTargets
  NAMESPACE acidentity::
  DESTINATION ${ACID_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/acidentityConfig.cmake.in
  ${PROJECT_BINARY_DIR}/acidentityConfig.cmake
  INSTALL_DESTINATION ${ACID_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/acidentityConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/acidentityConfig.cmake
  ${PROJECT_BINARY_DIR}/acidentityConfigVersion.cmake
  DESTINATION ${ACID_INSTALL_CMAKEDIR})

# The .pc file finds its prefix relative to itself, so an installed tree can be moved.
file(RELATIVE_PATH ACID_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(cmake/acidentity.pc.in ${PROJECT_BINARY_DIR}/acidentity.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/acidentity.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(ACID_BUILD_CLI)
  install(TARGETS acidentity_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
