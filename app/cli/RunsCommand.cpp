#include "cli/RunsCommand.h"

#include "cli/Commands.h"
#include "config/ConfigDiff.h"
#include "store/RunStore.h"
#include "util/Strings.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace swav::cli {

namespace {

using store::RunRecord;
using store::RunStore;

const std::vector<std::string> kListedMetrics{"loss", "epoch/knn_accuracy"};

std::string runDuration(const RunRecord& run) {
    const double seconds = run.durationSeconds();
    return seconds >= 0 ? formatDuration(seconds) : "";
}

std::string joinTags(const std::vector<std::string>& tags) {
    std::string text;
    for (const auto& tag : tags)
        text += (text.empty() ? "" : ",") + tag;
    return text;
}

int listRuns(RunStore& runs, const RunsOptions& options) {
    store::RunFilter filter;
    if (!options.status.empty()) {
        filter.status = store::parseRunState(options.status);
        if (!filter.status) {
            std::cerr << "--status " << options.status
                      << ": expected queued, running, paused, stopped, finished, failed or "
                         "interrupted\n";
            return ExitBadUsage;
        }
    }
    filter.tag = options.tag;
    const auto entries = runs.listRuns(filter, kListedMetrics);
    if (!options.csvFile.empty()) {
        runs.exportRunsCsv(entries, kListedMetrics, options.csvFile, options.overwrite);
        // Standard output carries the table itself.
        std::fprintf(options.csvFile == "-" ? stderr : stdout, "%zu runs written to %s\n",
                     entries.size(), options.csvFile.c_str());
        return ExitOk;
    }
    std::printf("%5s  %-24s %-11s %-22s %-19s %9s %9s %8s %7s  %s\n", "ID", "NAME", "STATUS",
                "PRESET", "STARTED", "DURATION", "STEP", "LOSS", "kNN", "TAGS");
    for (const auto& entry : entries) {
        const RunRecord& r = entry.run;
        const auto loss = entry.metrics.find("loss");
        const auto knn = entry.metrics.find("epoch/knn_accuracy");
        std::printf(
            "%5lld  %-24s %-11s %-22s %-19s %9s %9s %8s %7s  %s\n", static_cast<long long>(r.id),
            printable(r.name).substr(0, 24).c_str(), toString(r.status),
            printable(r.preset).substr(0, 22).c_str(), formatLocalTime(r.startedAt).c_str(),
            runDuration(r).c_str(),
            loss != entry.metrics.end() ? std::to_string(loss->second.lastStep).c_str() : "",
            loss != entry.metrics.end() ? (std::to_string(loss->second.last).substr(0, 6)).c_str()
                                        : "",
            knn != entry.metrics.end()
                ? (std::to_string(100 * knn->second.max).substr(0, 5) + "%").c_str()
                : "",
            printable(joinTags(r.tags)).c_str());
    }
    if (entries.empty())
        std::printf("(no runs%s)\n", filter.status || !filter.tag.empty() ? " match" : " yet");
    return ExitOk;
}

int showRun(RunStore& runs, const RunRecord& r) {
    // Stored text is printed with its control characters shown, never sent to the terminal.
    std::printf("run %lld: %s\n", static_cast<long long>(r.id), printable(r.name).c_str());
    std::printf("  status      %s%s%s\n", toString(r.status), r.message.empty() ? "" : " - ",
                printable(r.message, true).c_str());
    std::printf("  preset      %s\n",
                r.preset.empty() ? "(config file)" : printable(r.preset).c_str());
    std::printf("  created     %s\n", formatLocalTime(r.createdAt).c_str());
    std::printf("  started     %s\n", formatLocalTime(r.startedAt).c_str());
    std::printf("  finished    %s\n", formatLocalTime(r.finishedAt).c_str());
    std::printf("  duration    %s\n", runDuration(r).c_str());
    std::printf("  device      %s\n", printable(r.device).c_str());
    std::printf("  host, pid   %s, %lld\n", printable(r.process.host).c_str(),
                static_cast<long long>(r.process.pid));
    std::printf("  seed        %lld\n", static_cast<long long>(r.seed));
    std::printf("  folder      %s\n", printable(r.runDir).c_str());
    std::printf("  version     %s\n", printable(r.programVersion).c_str());
    if (r.parentRun > 0)
        std::printf("  parent run  %lld\n", static_cast<long long>(r.parentRun));
    std::printf("  tags        %s\n", printable(joinTags(r.tags)).c_str());
    std::printf("  notes       %s\n", printable(r.notes, true).c_str());

    std::printf("metrics (points, last, min, max):\n");
    for (const auto& [key, s] : runs.metricSummaries(r.id, runs.metricKeys(r.id)))
        std::printf("  %-32s %8lld %12.6g %12.6g %12.6g\n", printable(key).c_str(),
                    static_cast<long long>(s.count), s.last, s.min, s.max);
    std::printf("checkpoints:\n");
    for (const auto& c : runs.checkpoints(r.id))
        std::printf("  epoch %3d step %8lld  %9s  %s%s\n", c.epoch, static_cast<long long>(c.step),
                    formatBytes(double(c.bytes)).c_str(), printable(c.path).c_str(),
                    c.exists ? "" : "  (pruned)");
    std::printf("evaluations:\n");
    for (const auto& e : runs.evaluations(r.id))
        std::printf("  %s  %s  %s\n", formatLocalTime(e.createdAt).c_str(),
                    printable(e.kind).c_str(), printable(e.metricsJson.substr(0, 160)).c_str());
    return ExitOk;
}

int diffRuns(const RunRecord& left, const RunRecord& right) {
    const auto a = nlohmann::json::parse(left.configJson, nullptr, false);
    const auto b = nlohmann::json::parse(right.configJson, nullptr, false);
    const auto differences = diffConfigs(a, b);
    std::printf("%-40s %-24s %s\n", "FIELD", ("run " + std::to_string(left.id)).c_str(),
                ("run " + std::to_string(right.id)).c_str());
    for (const auto& d : differences)
        std::printf("%-40s %-24s %s\n", printable(d.path).c_str(),
                    d.left.empty() ? "-" : printable(d.left).c_str(),
                    d.right.empty() ? "-" : printable(d.right).c_str());
    if (differences.empty())
        std::printf("(the configurations are identical)\n");
    return ExitOk;
}

bool confirmed(RunStore& runs, const RunRecord& run) {
    if (!isatty(STDIN_FILENO))
        return false;
    size_t files = 0;
    for (const auto& file : runs.runFiles(run.id))
        files += file.folder ? 0 : 1;
    if (run.filesRecorded)
        std::printf("delete run %lld (%s), its records and the %zu files it wrote in %s? [y/N] ",
                    static_cast<long long>(run.id), printable(run.name).c_str(), files,
                    printable(run.runDir).c_str());
    else
        std::printf("delete run %lld (%s), its records and the checkpoints, evaluations, "
                    "analyses and exports it wrote in %s? [y/N] ",
                    static_cast<long long>(run.id), printable(run.name).c_str(),
                    printable(run.runDir).c_str());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

} // namespace

CLI::App* addRunsCommand(CLI::App& app, RunsOptions& options) {
    auto* runs = app.add_subcommand("runs", "Browse and manage the recorded runs");
    runs->require_subcommand(1);
    runs->add_option("--db", options.database, "Run database (default: the one `swav train` uses)");

    auto* list = runs->add_subcommand("list", "List runs with their last loss and best kNN");
    list->add_option("--status", options.status, "Only runs with this status");
    list->add_option("--tag", options.tag, "Only runs with this tag");
    list->add_option("--csv", options.csvFile,
                     "Write the list to a CSV file instead (\"-\": standard output)");
    list->add_flag("--overwrite", options.overwrite, "Replace an existing CSV file");

    auto* show = runs->add_subcommand("show", "Everything recorded about one run");
    show->add_option("ID", options.id, "Run id")->required();

    auto* exportCsv = runs->add_subcommand("export", "Write a run's metrics to CSV");
    exportCsv->add_option("ID", options.id, "Run id")->required();
    exportCsv->add_option("--csv", options.csvFile, "Output file (\"-\": standard output)")
        ->required();
    exportCsv->add_flag("--overwrite", options.overwrite, "Replace an existing file");

    auto* diff = runs->add_subcommand("diff", "Configuration fields that differ between two runs");
    diff->add_option("ID1", options.id, "First run")->required();
    diff->add_option("ID2", options.otherId, "Second run")->required();

    auto* remove = runs->add_subcommand("rm", "Delete a run, its records and its files");
    remove->add_option("ID", options.id, "Run id")->required();
    remove->add_flag("--yes,-y", options.yes, "Do not ask for confirmation");

    auto* tag = runs->add_subcommand("tag", "Add (or with --remove, remove) a tag");
    tag->add_option("ID", options.id, "Run id")->required();
    tag->add_option("TAG", options.tag, "Tag")->required();
    tag->add_flag("--remove", options.removeTag, "Remove the tag instead");

    auto* note = runs->add_subcommand("note", "Replace a run's notes");
    note->add_option("ID", options.id, "Run id")->required();
    note->add_option("TEXT", options.text, "Notes (\"\" clears them)")->required();
    for (auto* command : {list, show, exportCsv, diff, remove, tag, note})
        command->fallthrough();
    return runs;
}

int runRuns(CLI::App& runsCommand, const RunsOptions& options) {
    const std::string path =
        options.database.empty() ? store::defaultDatabasePath() : options.database;
    const std::string command = runsCommand.get_subcommands().front()->get_name();
    const bool reads =
        command == "list" || command == "show" || command == "export" || command == "diff";
    auto opened =
        RunStore::open(path, reads ? store::StoreAccess::ReadOnly : store::StoreAccess::ReadWrite);
    if (!opened) {
        std::cerr << opened.error().message << "\n";
        return ExitBadUsage;
    }
    RunStore& runs = **opened;
    const auto find = [&](long long id) {
        auto record = runs.run(id);
        if (!record)
            std::cerr << path << ": no run with id " << id << " (see swav runs list)\n";
        return record;
    };
    try {
        if (command == "list")
            return listRuns(runs, options);
        const auto run = find(options.id);
        if (!run)
            return ExitBadUsage;
        if (command == "show")
            return showRun(runs, *run);
        if (command == "export") {
            runs.exportMetricsCsv(run->id, options.csvFile, options.overwrite);
            std::fprintf(
                options.csvFile == "-" ? stderr : stdout, "%lld metric points written to %s\n",
                static_cast<long long>(runs.metricCount(run->id)), options.csvFile.c_str());
            return ExitOk;
        }
        if (command == "diff") {
            const auto other = find(options.otherId);
            return other ? diffRuns(*run, *other) : ExitBadUsage;
        }
        if (command == "rm") {
            if (store::isActive(run->status)) {
                std::cerr << "run " << run->id << " is " << toString(run->status)
                          << "; stop it before deleting it\n";
                return ExitBadUsage;
            }
            if (!options.yes && !confirmed(runs, *run)) {
                std::cerr << "not deleted (confirm with --yes when not at a terminal)\n";
                return ExitBadUsage;
            }
            const store::RunDeletion deletion = runs.deleteRun(run->id);
            for (const auto& kept : deletion.kept)
                std::cerr << "kept: " << kept << "\n";
            std::printf("deleted run %lld (%zu files and folders removed)\n",
                        static_cast<long long>(run->id), deletion.removed.size());
            return ExitOk;
        }
        if (command == "tag") {
            if (options.removeTag)
                runs.removeTag(run->id, options.tag);
            else
                runs.addTag(run->id, options.tag);
            return ExitOk;
        }
        if (command == "note") {
            runs.setNotes(run->id, options.text);
            return ExitOk;
        }
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return ExitBadUsage;
    }
    return ExitBadUsage;
}

} // namespace swav::cli
