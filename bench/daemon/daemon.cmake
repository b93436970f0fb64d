# The daemon load and fault benchmark (issue 13 §7): see bench/daemon/daemon_load.cpp, run.sh.
add_executable(daemon_load ${CMAKE_CURRENT_LIST_DIR}/daemon_load.cpp)
target_link_libraries(daemon_load PRIVATE Threads::Threads)
acid_project_warnings(daemon_load)
if(TARGET acidentity_cli)
  add_dependencies(daemon_load acidentity_cli)
  target_compile_definitions(daemon_load PRIVATE ACID_BENCH_ACIDENTITY="$<TARGET_FILE:acidentity_cli>")
endif()
