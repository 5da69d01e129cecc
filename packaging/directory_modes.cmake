# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) once the files are staged, before
# the packages are made: every staged directory becomes 0755. CMake makes
# the directories a file is installed into with mkdir, so they get the mode
# the umask leaves, and dpkg would create /etc/vigil and the others so.
if(NOT IS_DIRECTORY "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
  message(FATAL_ERROR "directory_modes.cmake: no staging directory '${CPACK_TEMPORARY_INSTALL_DIRECTORY}'")
endif()
file(GLOB_RECURSE entries LIST_DIRECTORIES true "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(e IN LISTS entries)
  if(IS_DIRECTORY "${e}" AND NOT IS_SYMLINK "${e}")
    file(CHMOD "${e}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
         WORLD_READ WORLD_EXECUTE)
  endif()
endforeach()
