# -DCOLLECTOR_SANITIZE=address,undefined builds everything with those sanitizers;
# any finding aborts (no recovery), so a test run cannot pass over one.
if(COLLECTOR_SANITIZE)
  add_compile_options(-fsanitize=${COLLECTOR_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${COLLECTOR_SANITIZE} -fno-sanitize-recover=all)
endif()
