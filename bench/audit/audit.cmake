# The audit benchmark (issue 6 §2): see bench/audit/main.cpp and run.sh.
acid_add_bench(bench_audit ${CMAKE_CURRENT_LIST_DIR}/main.cpp
                           ${CMAKE_CURRENT_SOURCE_DIR}/provision/common.cpp)
target_include_directories(bench_audit PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/provision)
