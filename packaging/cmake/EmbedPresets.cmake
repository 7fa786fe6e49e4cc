# Generates a C++ source holding every preset JSON, so binaries work from any folder.
# Inputs: PRESET_DIR, OUTPUT.
file(GLOB preset_files "${PRESET_DIR}/*.json")
list(SORT preset_files)
set(entries "")
foreach(file ${preset_files})
  get_filename_component(name "${file}" NAME_WE)
  file(READ "${file}" text)
  string(APPEND entries "    {\"${name}\", R\"swavpreset(${text})swavpreset\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from experiments/presets by packaging/cmake/EmbedPresets.cmake.
#include \"config/Presets.h\"

namespace swav::detail {
const std::vector<std::pair<std::string, std::string>>& embeddedPresetTexts() {
    static const std::vector<std::pair<std::string, std::string>> texts{
${entries}    };
    return texts;
}
} // namespace swav::detail
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
