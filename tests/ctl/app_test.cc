// gutsctl's commands run in process (RunGutsctl) against a TestFleetService: what the operator
// sees on a terminal and off one.
#include "ctl/app.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ctl/test_fleet_service.h"

namespace guts::ctl {
namespace {

using testing::FourThreeSplitOfSeven;
using testing::TestFleetService;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Gutsctl(std::vector<std::string> args, bool terminal = false) {
  args.insert(args.begin(), "gutsctl");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  int code = RunGutsctl(static_cast<int>(argv.size()), argv.data(), out, err, terminal);
  return {code, out.str(), err.str()};
}

class AppTest : public ::testing::Test {
 protected:
  AppTest() : collector_(FourThreeSplitOfSeven()) { unsetenv("NO_COLOR"); }
  ~AppTest() override { unsetenv("NO_COLOR"); }
  std::vector<std::string> Base() { return {"--insecure", "--collector", collector_.address()}; }
  std::vector<std::string> With(std::vector<std::string> args) {
    std::vector<std::string> all = Base();
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }
  TestFleetService collector_;
};

TEST_F(AppTest, ColourOnATerminalOnly) {
  EXPECT_TRUE(absl::StrContains(Gutsctl(With({"fleet", "status"}), true).out, "\x1b["));
  EXPECT_FALSE(absl::StrContains(Gutsctl(With({"fleet", "status"}), false).out, "\x1b["));
}

TEST_F(AppTest, NoColorFlagAndEnvWinOverTheTerminal) {
  EXPECT_FALSE(
      absl::StrContains(Gutsctl(With({"--no-color", "fleet", "status"}), true).out, "\x1b["));
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(absl::StrContains(Gutsctl(With({"fleet", "status"}), true).out, "\x1b["));
}

TEST_F(AppTest, InsecureWarnsOnStderrNotStdout) {
  Outcome outcome = Gutsctl(With({"fleet", "status"}));
  EXPECT_EQ(outcome.code, 3);
  EXPECT_TRUE(absl::StrContains(outcome.err, "running without TLS (--insecure)"));
  EXPECT_FALSE(absl::StrContains(outcome.out, "TLS"));
}

TEST_F(AppTest, GlobalFlagsWorkAfterTheCommandToo) {
  Outcome outcome =
      Gutsctl({"fleet", "status", "--insecure", "--collector", collector_.address(), "-o", "json"});
  EXPECT_EQ(outcome.code, 3) << outcome.err;
  EXPECT_TRUE(absl::StartsWith(outcome.out, "{\n  \"nodes\": [")) << outcome.out;
}

TEST_F(AppTest, NetPartitionsAndMatrixAndGraph) {
  Outcome partitions = Gutsctl(With({"net", "partitions"}));
  EXPECT_EQ(partitions.code, 0) << partitions.err;
  EXPECT_TRUE(absl::StrContains(partitions.out, "NO side holds the quorum"));
  Outcome matrix = Gutsctl(With({"net", "matrix"}));
  EXPECT_EQ(matrix.code, 0);
  EXPECT_TRUE(absl::StrContains(matrix.out, "HEARS"));
  Outcome graph = Gutsctl(With({"net", "graph"}));
  EXPECT_EQ(graph.code, 0);
  EXPECT_TRUE(absl::StartsWith(graph.out, "digraph guts_fleet {"));
}

TEST_F(AppTest, BinaryGraphOnATerminalNeedsAFile) {
  Outcome outcome = Gutsctl(With({"net", "graph", "-o", "png"}), true);
  EXPECT_EQ(outcome.code, 2);
  EXPECT_TRUE(absl::StrContains(outcome.err, "give --file F or redirect stdout"));
}

TEST_F(AppTest, NodeShowHistoryAndUnknownNode) {
  Outcome show = Gutsctl(With({"node", "show", "v5"}));
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "P2P PROBES"));
  Outcome history = Gutsctl(With({"node", "history", "v5", "--since", "30m"}));
  EXPECT_EQ(history.code, 0) << history.err;
  EXPECT_TRUE(absl::StrContains(history.out, "height"));
  Outcome unknown = Gutsctl(With({"node", "show", "v9"}));
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(absl::StrContains(unknown.err, "no node named v9 (gutsctl fleet status lists them)"));
  Outcome bad_since = Gutsctl(With({"node", "history", "v5", "--since", "soon"}));
  EXPECT_EQ(bad_since.code, 2);
  EXPECT_TRUE(absl::StrContains(bad_since.err, "--since: \"soon\" is not a positive duration"));
}

TEST_F(AppTest, IncidentsExitThreeWhileTheP1IsOpen) {
  Outcome list = Gutsctl(With({"incidents", "--all"}));
  EXPECT_EQ(list.code, 3);
  EXPECT_TRUE(absl::StrContains(list.out, "inc-0039"));
  Outcome show = Gutsctl(With({"incident", "show", "inc-0042"}));
  EXPECT_EQ(show.code, 0);
  EXPECT_TRUE(absl::StrContains(show.out, "RUNBOOK network-partition"));
}

TEST_F(AppTest, DiagCollectDownloadsVerifiesAndReportsPending) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / absl::StrCat("ctl-diag-collect-", getpid());
  std::filesystem::remove_all(dir);
  Outcome outcome =
      Gutsctl(With({"diag", "collect", "--nodes", "v1,v5,v6", "--output", dir.string()}));
  EXPECT_EQ(outcome.code, 0) << outcome.err << outcome.out;
  EXPECT_TRUE(absl::StrContains(outcome.out, "v1  running  3/7 sources  collecting node_log"));
  EXPECT_TRUE(absl::StrContains(outcome.out, "sha256 verified"));
  EXPECT_TRUE(absl::StrContains(outcome.out, "v6  pending"));
  EXPECT_TRUE(absl::StrContains(outcome.out, "gutsctl diag get b-0009"));
  EXPECT_TRUE(std::filesystem::exists(dir / "v1-20261130T025940Z.tar.gz"));
  EXPECT_TRUE(std::filesystem::exists(dir / "v5-20261130T025940Z.tar.gz"));
  std::filesystem::remove_all(dir);
}

TEST_F(AppTest, DiagCollectNeedsExactlyOneTarget) {
  Outcome outcome = Gutsctl(With({"diag", "collect", "--node", "v1", "--all"}));
  EXPECT_EQ(outcome.code, 2);
  EXPECT_TRUE(absl::StrContains(outcome.err, "exactly one of --node X, --nodes a,b or --all"));
}

TEST_F(AppTest, DiagListAndGet) {
  Outcome list = Gutsctl(With({"diag", "list"}));
  EXPECT_EQ(list.code, 0);
  EXPECT_TRUE(absl::StrContains(list.out, "b-0009"));
  std::filesystem::path file =
      std::filesystem::path(::testing::TempDir()) / absl::StrCat("ctl-get-", getpid(), ".tar.gz");
  Outcome get = Gutsctl(With({"diag", "get", "b-0008", "--output", file.string()}));
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(std::filesystem::file_size(file), FourThreeSplitOfSeven().archives.at("b-0008").size());
  std::filesystem::remove(file);
}

TEST(AppHelpTest, EveryCommandHasExamples) {
  for (std::vector<std::string> command : {std::vector<std::string>{},
                                           {"fleet", "status"},
                                           {"node", "show"},
                                           {"node", "history"},
                                           {"net", "partitions"},
                                           {"net", "matrix"},
                                           {"net", "graph"},
                                           {"incidents"},
                                           {"incident", "show"},
                                           {"diag", "collect"},
                                           {"diag", "list"},
                                           {"diag", "get"},
                                           {"completion"}}) {
    command.push_back("--help");
    Outcome outcome = Gutsctl(command);
    EXPECT_EQ(outcome.code, 0) << command[0];
    EXPECT_TRUE(absl::StrContains(outcome.out, "Examples:\n  ")) << command[0];
  }
}

TEST(AppCompletionTest, BashScriptKnowsCommandsAndFlags) {
  Outcome outcome = Gutsctl({"completion", "bash"});
  EXPECT_EQ(outcome.code, 0);
  EXPECT_TRUE(absl::StrContains(outcome.out, "complete -F _gutsctl gutsctl"));
  EXPECT_TRUE(absl::StrContains(outcome.out, "\"net\") words=\"partitions matrix graph"));
  EXPECT_TRUE(
      absl::StrContains(outcome.out, "\"fleet status\") words=\"--help --watch --interval"));
  Outcome zsh = Gutsctl({"completion", "zsh"});
  EXPECT_TRUE(absl::StrContains(zsh.out, "bashcompinit"));
  EXPECT_EQ(Gutsctl({"completion", "fish"}).code, 2);
}

}  // namespace
}  // namespace guts::ctl
