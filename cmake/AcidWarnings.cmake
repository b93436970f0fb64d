# Project code is held to -Wall -Wextra -Werror; third-party headers are included as SYSTEM.
function(acid_project_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
endfunction()

function(acid_c_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -pedantic)
endfunction()
