# The PDS client benchmark (needs a running PDS: see bench/pds_client_bench.cpp).
acid_add_bench(pds_client_bench ${CMAKE_CURRENT_LIST_DIR}/pds_client_bench.cpp)
acid_add_bench(credentials_bench ${CMAKE_CURRENT_LIST_DIR}/credentials_bench.cpp)
