# One place that sets warnings and sanitizers on the project's own targets.
include_guard(GLOBAL)

option(PIMQTTD_WERROR "Treat compiler warnings as errors" OFF)
option(PIMQTTD_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

function(pimqttd_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Woverloaded-virtual -Wnon-virtual-dtor)
  if(PIMQTTD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(PIMQTTD_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# pimqttd_add_library(NAME ALIAS SOURCES... [LIBS ...])
function(pimqttd_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(pimqttd::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_LIBS})
  pimqttd_target_options(${name})
endfunction()

# pimqttd_add_test(NAME SOURCES... LIBS ... [LABELS ...])
function(pimqttd_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  pimqttd_target_options(${name})
  # GoogleTest's macros trip a few of our stricter warnings.
  target_compile_options(${name} PRIVATE -Wno-sign-conversion)
  add_test(NAME ${name} COMMAND ${name})
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
