# Every dependency is a Debian package (installed by ./dev.sh); nothing is fetched at build time.
find_package(Threads REQUIRED)

# CAF 0.17.6 ships neither a CMake config nor a pkg-config file: import it by hand.
# SWITCHYARD_CAF_PREFIX points at another install of the same CAF version (./dev.sh tsan
# builds one with -fsanitize=thread from Debian's source package into ~/.cache); it is
# then the only place searched, and binaries get an RPATH to its lib/ so they load it.
set(SWITCHYARD_CAF_PREFIX "" CACHE PATH "Install prefix of a CAF 0.17.6 build to use instead of the system one")
# The cached results of an earlier configure with another prefix must not win.
if(NOT "${SWITCHYARD_CAF_PREFIX}" STREQUAL "${_SWITCHYARD_CAF_PREFIX_USED}")
  unset(CAF_INCLUDE_DIR CACHE)
  unset(CAF_CORE_LIB CACHE)
  unset(CAF_IO_LIB CACHE)
endif()
if(SWITCHYARD_CAF_PREFIX)
  if(NOT EXISTS "${SWITCHYARD_CAF_PREFIX}/include/caf/all.hpp")
    message(FATAL_ERROR "SWITCHYARD_CAF_PREFIX=${SWITCHYARD_CAF_PREFIX} has no include/caf/all.hpp")
  endif()
  set(_caf_inc_search PATHS "${SWITCHYARD_CAF_PREFIX}/include" NO_DEFAULT_PATH)
  set(_caf_lib_search PATHS "${SWITCHYARD_CAF_PREFIX}/lib" NO_DEFAULT_PATH)
else()
  set(_caf_inc_search "")
  set(_caf_lib_search "")
endif()
set(_SWITCHYARD_CAF_PREFIX_USED "${SWITCHYARD_CAF_PREFIX}" CACHE INTERNAL "")
find_path(CAF_INCLUDE_DIR caf/all.hpp ${_caf_inc_search} REQUIRED)
find_library(CAF_CORE_LIB caf_core ${_caf_lib_search} REQUIRED)
find_library(CAF_IO_LIB caf_io ${_caf_lib_search} REQUIRED)
if(SWITCHYARD_CAF_PREFIX)
  get_filename_component(_caf_lib_dir "${CAF_CORE_LIB}" DIRECTORY)
  list(APPEND CMAKE_BUILD_RPATH "${_caf_lib_dir}")
  message(STATUS "CAF from ${SWITCHYARD_CAF_PREFIX}: ${CAF_CORE_LIB}, headers ${CAF_INCLUDE_DIR}")
endif()
add_library(caf_core_imp UNKNOWN IMPORTED)
set_target_properties(caf_core_imp PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(caf_io_imp UNKNOWN IMPORTED)
set_target_properties(caf_io_imp PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIB}"
  INTERFACE_LINK_LIBRARIES caf_core_imp)
add_library(CAF::core ALIAS caf_core_imp)
add_library(CAF::io ALIAS caf_io_imp)

find_package(Boost 1.74 REQUIRED)
find_package(msgpack REQUIRED CONFIG)          # target msgpackc-cxx
find_package(spdlog REQUIRED CONFIG)
find_package(nlohmann_json 3 REQUIRED CONFIG)
find_package(simdjson REQUIRED CONFIG)         # the fast path of the JSON decoder
find_package(CLI11 REQUIRED CONFIG)
find_package(OpenSSL 3 REQUIRED)                # HMAC-SHA256 of connect tokens (JWT), TLS
find_package(GTest REQUIRED CONFIG)
find_package(benchmark CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
