# The XRPC client. Unit tests need nothing; the live tests run against the local PDS fixture
# (scripts/pds) and put a fault-injecting proxy in front of it.
acid_add_test(test_pds_xrpc
  LABELS pds
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_error_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_retry_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_parse_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_session_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/session_cache_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_tls_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_test_support.cpp
  LIBS OpenSSL::SSL)  # the TLS test runs a small OpenSSL server
# LABELS must not be empty: acid_add_test's property list loses FIXTURES_REQUIRED otherwise.
acid_add_test(test_pds_xrpc_live
  PDS
  LABELS pds-live
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_live_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_fault_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_fault_proxy.cpp
    ${CMAKE_CURRENT_LIST_DIR}/xrpc_test_support.cpp)
