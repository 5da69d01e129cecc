# vigil_store_core: the store's storage and API (everything behind the HTTP
# handler). include()d from store/CMakeLists.txt.
add_library(vigil_store_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_storage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_schema.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_hosts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_ingest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_query.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokens.cpp
  ${CMAKE_CURRENT_LIST_DIR}/posture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_support.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_enroll.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_ingest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_hosts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_controls.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_admin.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli_admin.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli_admin_default.cpp
)
target_include_directories(vigil_store_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(vigil_store_core PUBLIC vigil_agent vigil_lib Boost::json PkgConfig::SQLITE3 OpenSSL::Crypto
  PRIVATE vigil_flags)
