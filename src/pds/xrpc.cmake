# The XRPC client (libcurl) for the ATProto PDS.
target_sources(acid_internal PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pds_error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/xrpc_parse.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/xrpc_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_cache.cpp)
