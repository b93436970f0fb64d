# The provisioning benchmarks (issue 4 §6): see bench/provision/main.cpp and run.sh.
pkg_check_modules(ACID_BENCH_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
acid_add_bench(bench_provision
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ingest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/provisioning.cpp
  ${CMAKE_CURRENT_LIST_DIR}/daemon.cpp)
target_link_libraries(bench_provision PRIVATE PkgConfig::ACID_BENCH_HTTPLIB)
if(TARGET acidentity_cli)
  # Section 3 runs the daemon: build it with the benchmark and default to its path.
  add_dependencies(bench_provision acidentity_cli)
  target_compile_definitions(bench_provision
    PRIVATE ACID_BENCH_ACIDENTITY="$<TARGET_FILE:acidentity_cli>")
endif()
