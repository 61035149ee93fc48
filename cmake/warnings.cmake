# Compiler warnings used for every target of the project.
set(COLLECTOR_WARNINGS -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wpointer-arith -Wvla)
if(COLLECTOR_WERROR)
  list(APPEND COLLECTOR_WARNINGS -Werror)
endif()
add_compile_options(${COLLECTOR_WARNINGS})
add_compile_definitions(_GNU_SOURCE)
if(COLLECTOR_COVERAGE)
  add_compile_options(--coverage -O0)
  add_link_options(--coverage)
endif()
