# What `make package` puts in the Debian package besides the programs: man pages made from the
# programs' own help, the icon at every size, AppStream metadata, bash completion, the licence
# and the changelog (both made from the repository's files), and the CPack settings.

set(SWAV_WEB_URL "https://swavworkbench.org" CACHE STRING
    "Project web site: AppStream homepage, and where its screenshot is published")
set(SWAV_MAINTAINER "SwAV Workbench developers <maintainers@swavworkbench.org>" CACHE STRING
    "Maintainer field of the package and its changelog")
# A LibTorch that is not a Debian package (the PyTorch wheels, with CUDA) travels inside the package:
# its libraries and the NVIDIA libraries next to it go to a private folder that the programs find
# through their RPATH, and dpkg-shlibdeps leaves them out of the dependencies.
option(SWAV_BUNDLE_TORCH "Put LibTorch's shared libraries (and CUDA's from the wheels) in the package"
       OFF)
set(SWAV_PACKAGE_NAME swav-workbench)
if(SWAV_BUNDLE_TORCH AND SWAV_TORCH_HAS_CUDA)
  set(SWAV_PACKAGE_NAME swav-workbench-cuda)
endif()
set(SWAV_APPSTREAM_ID org.swavworkbench.SwavWorkbench)
set(swav_docs_dir ${PROJECT_BINARY_DIR}/package-docs)
set(swav_doc_dest ${CMAKE_INSTALL_DATADIR}/doc/${SWAV_PACKAGE_NAME})

# AppStream releases and the Debian changelog come from CHANGELOG.md.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/CHANGELOG.md)
execute_process(
  COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/deb/changelog-from-markdown.sh appstream
          ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  OUTPUT_VARIABLE SWAV_APPSTREAM_RELEASES OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
if(NOT SWAV_APPSTREAM_RELEASES MATCHES "version=\"${PROJECT_VERSION}\"")
  message(FATAL_ERROR "CHANGELOG.md has no '## [${PROJECT_VERSION}] - DATE' section for the "
                      "project version")
endif()
configure_file(${PROJECT_SOURCE_DIR}/resources/${SWAV_APPSTREAM_ID}.metainfo.xml.in
               ${swav_docs_dir}/${SWAV_APPSTREAM_ID}.metainfo.xml @ONLY)

# Made at build time by `swav_package_files` (make package builds it): they need the programs.
find_program(SWAV_HELP2MAN help2man)
find_program(SWAV_RSVG_CONVERT rsvg-convert)
set(swav_icon_sizes 16 24 32 48 64 128 256)
string(JOIN " " swav_icon_sizes_words ${swav_icon_sizes})
set(swav_package_outputs ${swav_docs_dir}/man/swav.1.gz ${swav_docs_dir}/changelog.gz)
foreach(size IN LISTS swav_icon_sizes)
  list(APPEND swav_package_outputs ${swav_docs_dir}/icons/${size}/swav-workbench.png)
endforeach()
set(swav_workbench_program "")
if(SWAV_BUILD_GUI)
  set(swav_workbench_program $<TARGET_FILE:swav-workbench>)
endif()
add_custom_command(
  OUTPUT ${swav_package_outputs}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${swav_docs_dir}/man ${swav_docs_dir}/icons
  COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/man/make-man-pages.sh $<TARGET_FILE:swav>
          ${swav_workbench_program} ${swav_docs_dir}/man ${PROJECT_VERSION}
  COMMAND bash -c "for size in ${swav_icon_sizes_words}; do mkdir -p icons/$size && \
${SWAV_RSVG_CONVERT} -w $size -h $size -o icons/$size/swav-workbench.png \
${PROJECT_SOURCE_DIR}/resources/icons/swav-workbench.svg || exit 1; done"
  COMMAND bash -c "bash ${PROJECT_SOURCE_DIR}/packaging/deb/changelog-from-markdown.sh debian \
${PROJECT_SOURCE_DIR}/CHANGELOG.md ${SWAV_PACKAGE_NAME} '${SWAV_MAINTAINER}' | gzip -9n > changelog.gz"
  DEPENDS swav $<$<BOOL:${SWAV_BUILD_GUI}>:swav-workbench>
          ${PROJECT_SOURCE_DIR}/packaging/man/make-man-pages.sh
          ${PROJECT_SOURCE_DIR}/packaging/deb/changelog-from-markdown.sh
          ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/resources/icons/swav-workbench.svg
  WORKING_DIRECTORY ${swav_docs_dir}
  COMMENT "Man pages, icons and changelog for the package"
  VERBATIM)
add_custom_target(swav_package_files DEPENDS ${swav_package_outputs})

# Refuses to install (and so to package) without them, rather than shipping a package without.
install(CODE "
  if(NOT EXISTS \"${swav_docs_dir}/man/swav.1.gz\")
    message(FATAL_ERROR \"Man pages and icons are missing: build the swav_package_files target \"
                        \"first (make package does); it needs help2man and rsvg-convert\")
  endif()")
install(DIRECTORY ${swav_docs_dir}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${swav_docs_dir}/changelog.gz ${PROJECT_SOURCE_DIR}/packaging/deb/copyright
        DESTINATION ${swav_doc_dest})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completion/swav
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
if(SWAV_BUILD_GUI)
  foreach(size IN LISTS swav_icon_sizes)
    install(FILES ${swav_docs_dir}/icons/${size}/swav-workbench.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
  endforeach()
  install(FILES ${swav_docs_dir}/${SWAV_APPSTREAM_ID}.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
endif()

if(SWAV_BUNDLE_TORCH)
  set(swav_private_libs ${CMAKE_INSTALL_LIBDIR}/${SWAV_PACKAGE_NAME})
  get_filename_component(swav_torch_lib_dir "${TORCH_INSTALL_PREFIX}/lib" ABSOLUTE)
  # The wheels keep CUDA's libraries in site-packages/nvidia/*/lib beside site-packages/torch.
  file(GLOB swav_bundled_libs ${swav_torch_lib_dir}/*.so* ${swav_torch_lib_dir}/../../nvidia/*/lib/*.so*)
  if(NOT swav_bundled_libs)
    message(FATAL_ERROR "SWAV_BUNDLE_TORCH: no shared libraries in ${swav_torch_lib_dir}")
  endif()
  install(FILES ${swav_bundled_libs} DESTINATION ${swav_private_libs})
  set_target_properties(swav PROPERTIES INSTALL_RPATH "$ORIGIN/../${swav_private_libs}")
  if(SWAV_BUILD_GUI)
    set_target_properties(swav-workbench PROPERTIES INSTALL_RPATH "$ORIGIN/../${swav_private_libs}")
  endif()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${swav_torch_lib_dir})
  if(SWAV_TORCH_HAS_CUDA)
    # One package or the other: both install /usr/bin/swav.
    set(CPACK_DEBIAN_PACKAGE_CONFLICTS swav-workbench)
    set(CPACK_DEBIAN_PACKAGE_REPLACES swav-workbench)
    set(CPACK_DEBIAN_PACKAGE_PROVIDES swav-workbench)
  endif()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${SWAV_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${SWAV_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${SWAV_WEB_URL})
# Runtime libraries as dpkg-shlibdeps finds them; the default dataset and a fast BLAS besides.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, libopenblas0-openmp")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "workbench for SwAV self-supervised image learning")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "SwAV Workbench trains SwAV self-supervised image models (swapping assignments
between multi-crop views, with Sinkhorn-Knopp cluster codes) on the CPU or a
GPU, shows the losses, prototype usage and cluster assignments live, keeps
every run in a local database and evaluates the learned features with kNN
and a linear probe.
.
The package has the desktop application (swav-workbench) and the command
line (swav), which also trains across processes and hosts.")
include(CPack)
