# Project code is held to -Wall -Wextra; -Werror is added when the project's own build asks for it
# (ACID_WERROR=ON: scripts/test and CI), never in a packager's plain configure, where a newer or
# older compiler's new warning must not stop the build. Third-party headers are SYSTEM includes.
option(ACID_WERROR "Treat compiler warnings as errors (scripts/test and CI turn this on)" OFF)

# -Werror sits right after -Wall -Wextra, where it always was, so compile commands (and ccache
# entries) match those of earlier -Werror builds.
set(ACID_WERROR_FLAG $<$<BOOL:${ACID_WERROR}>:-Werror>)

function(acid_project_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra ${ACID_WERROR_FLAG} -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
endfunction()

function(acid_c_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra ${ACID_WERROR_FLAG} -pedantic)
endfunction()
