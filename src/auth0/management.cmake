target_sources(acid_internal PRIVATE ${CMAKE_CURRENT_LIST_DIR}/management.cpp
                                     ${CMAKE_CURRENT_LIST_DIR}/management_replies.cpp)
