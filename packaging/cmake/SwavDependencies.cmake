# Finds every third-party dependency once, so sub-folders only link targets.

find_package(Torch REQUIRED)
set_package_properties(Torch PROPERTIES TYPE REQUIRED PURPOSE "tensors, autograd, CUDA")
if(TARGET c10_cuda OR TORCH_CUDA_LIBRARIES)
  set(SWAV_TORCH_HAS_CUDA ON)
else()
  set(SWAV_TORCH_HAS_CUDA OFF)
endif()
# TORCH_LIBRARIES carries flags and plain names; wrap them in one imported target.
add_library(swav_torch INTERFACE)
# PyTorch wheels export statically linked std::filesystem symbols (pytorch#133437); binaries
# that bind to them crash. Naming the system libstdc++ before LibTorch makes it win the lookup.
target_link_libraries(swav_torch INTERFACE stdc++ ${TORCH_LIBRARIES})
target_include_directories(swav_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
# A LibTorch that logs through glog (Debian's) is quietened through glog's own flag, so glog is
# linked directly; PyTorch wheels log without it.
find_file(SWAV_C10_MACROS c10/macros/cmake_macros.h HINTS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
if(SWAV_C10_MACROS)
  file(STRINGS ${SWAV_C10_MACROS} _swav_c10_glog REGEX "^#define C10_USE_GLOG")
  if(_swav_c10_glog)
    find_library(SWAV_GLOG_LIBRARY glog)
    if(NOT SWAV_GLOG_LIBRARY)
      message(FATAL_ERROR "LibTorch logs through glog but libglog.so was not found: install "
                          "libgoogle-glog-dev (packaging/install-deps.sh)")
    endif()
    target_link_libraries(swav_torch INTERFACE ${SWAV_GLOG_LIBRARY})
  endif()
endif()
# c10d's ProcessGroupGloo.hpp includes Gloo's headers: LibTorch wheels ship them, Debian has them
# in libgloo-dev.
find_path(SWAV_GLOO_INCLUDE_DIR gloo/algorithm.h HINTS ${TORCH_INCLUDE_DIRS})
if(NOT SWAV_GLOO_INCLUDE_DIR)
  message(FATAL_ERROR "Gloo headers (gloo/algorithm.h) not found: install libgloo-dev "
                      "(packaging/install-deps.sh)")
endif()
target_include_directories(swav_torch SYSTEM INTERFACE ${SWAV_GLOO_INCLUDE_DIR})
# NCCL for CUDA tensors in multi-process runs: with LibTorch's CUDA builds when nccl.h is found
# (PyTorch wheels keep it in the nvidia-nccl package: pass -DSWAV_NCCL_INCLUDE_DIR=...).
# Without it CUDA tensors are reduced by Gloo.
set(SWAV_HAVE_NCCL OFF)
if(SWAV_TORCH_HAS_CUDA)
  find_path(SWAV_NCCL_INCLUDE_DIR nccl.h HINTS ${TORCH_INCLUDE_DIRS})
  if(SWAV_NCCL_INCLUDE_DIR)
    set(SWAV_HAVE_NCCL ON)
    target_include_directories(swav_torch SYSTEM INTERFACE ${SWAV_NCCL_INCLUDE_DIR})
  endif()
endif()
if(TORCH_CXX_FLAGS)
  separate_arguments(_swav_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(swav_torch INTERFACE ${_swav_torch_flags})
endif()

find_package(ZLIB REQUIRED)
set_package_properties(ZLIB PROPERTIES TYPE REQUIRED PURPOSE "gzipped IDX datasets")

find_package(nlohmann_json 3.9 REQUIRED)
set_package_properties(nlohmann_json PROPERTIES TYPE REQUIRED PURPOSE "configuration files")

find_package(SQLite3 REQUIRED)
set_package_properties(SQLite3 PROPERTIES TYPE REQUIRED PURPOSE "the run database")
find_package(SQLiteCpp REQUIRED CONFIG)
set_package_properties(SQLiteCpp PROPERTIES TYPE REQUIRED PURPOSE "the run database (C++ API)")

find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp)
  if(NOT CLI11_INCLUDE_DIR)
    message(FATAL_ERROR "CLI11 not found: install libcli11-dev (packaging/install-deps.sh)")
  endif()
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()

set(SWAV_HAVE_OPENCV OFF)
if(NOT SWAV_WITH_OPENCV STREQUAL "OFF")
  if(SWAV_WITH_OPENCV STREQUAL "ON")
    find_package(OpenCV REQUIRED COMPONENTS core imgcodecs imgproc)
  else()
    find_package(OpenCV QUIET COMPONENTS core imgcodecs imgproc)
  endif()
  if(OpenCV_FOUND)
    set(SWAV_HAVE_OPENCV ON)
  endif()
endif()

# Qt is needed by the GUI only: core, the CLI and the core tests build without it.
if(SWAV_BUILD_GUI)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Core Widgets Concurrent PrintSupport Test)
  # Debian ships the Qt 6 build of QCustomPlot as a plain library (its CMake package is Qt 5's).
  find_library(QCUSTOMPLOT_QT6_LIBRARY NAMES QCustomPlotQt6 qcustomplotqt6)
  find_path(QCUSTOMPLOT_INCLUDE_DIR qcustomplot.h)
  if(NOT QCUSTOMPLOT_QT6_LIBRARY OR NOT QCUSTOMPLOT_INCLUDE_DIR)
    message(FATAL_ERROR "QCustomPlot for Qt 6 not found: install libqcustomplot-dev "
                        "(packaging/install-deps.sh) or configure with -DSWAV_BUILD_GUI=OFF")
  endif()
  add_library(swav_qcustomplot INTERFACE)
  target_link_libraries(swav_qcustomplot INTERFACE ${QCUSTOMPLOT_QT6_LIBRARY} Qt6::PrintSupport
                                                   Qt6::Widgets)
  target_include_directories(swav_qcustomplot SYSTEM INTERFACE ${QCUSTOMPLOT_INCLUDE_DIR})
  target_compile_definitions(swav_qcustomplot INTERFACE QCUSTOMPLOT_USE_LIBRARY)
endif()
