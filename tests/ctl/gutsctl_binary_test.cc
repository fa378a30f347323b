// The built gutsctl binary, run as an operator or a cron job would, against a TestFleetService
// (a real gRPC FleetService in this process): exit codes and what lands on stdout/stderr.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ctl/test_fleet_service.h"
#include "tests/support/files.h"

extern char** environ;

namespace guts::ctl {
namespace {

using ::guts::testing::ReadFileOrEmpty;

using testing::TestFleetService;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("ctl-binary-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts gutsctl with stdout/stderr in files; `env` entries are added to the environment.
  pid_t Start(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv_strings = {GUTSCTL_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    auto overridden = [&](absl::string_view entry) {
      for (const std::string& e : env) {
        if (absl::StartsWith(entry, e.substr(0, e.find('=') + 1))) return true;
      }
      return absl::StartsWith(entry, "GUTSCTL_") || absl::StartsWith(entry, "NO_COLOR=");
    };
    for (char** e = environ; *e != nullptr; ++e) {
      if (!overridden(*e)) env_strings.push_back(*e);
    }
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, (dir_ / "out").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (dir_ / "err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, GUTSCTL_BINARY, &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  Outcome Wait(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    Outcome outcome;
    outcome.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.out = ReadFileOrEmpty(dir_ / "out");
    outcome.err = ReadFileOrEmpty(dir_ / "err");
    return outcome;
  }

  Outcome Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    return Wait(Start(args, env));
  }

  std::filesystem::path dir_;
};

TEST_F(BinaryTest, OpenP1ExitsThree) {
  TestFleetService collector(testing::FourThreeSplitOfSeven());
  Outcome outcome = Run({"--insecure", "--collector", collector.address(), "fleet", "status"});
  EXPECT_EQ(outcome.code, 3) << outcome.err;
  EXPECT_TRUE(absl::StrContains(outcome.out, "PARTITION_NO_QUORUM"));
  EXPECT_FALSE(absl::StrContains(outcome.out, "\x1b[")) << "stdout is a file: no colour";
}

TEST_F(BinaryTest, FleetWithoutP1ExitsZeroAndReadsTheCollectorFromTheEnvironment) {
  TestFleetService collector(testing::MixedFleetWithoutP1());
  Outcome outcome =
      Run({"fleet", "status"}, {"GUTSCTL_COLLECTOR=" + collector.address(), "GUTSCTL_INSECURE=1"});
  EXPECT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_TRUE(absl::StrContains(outcome.out, "NODE_DOWN"));
}

TEST_F(BinaryTest, UnknownCommandExitsTwo) {
  Outcome outcome = Run({"fleet", "statsu"});
  EXPECT_EQ(outcome.code, 2);
  EXPECT_TRUE(absl::StrContains(outcome.err, "unknown command \"statsu\"")) << outcome.err;
  EXPECT_EQ(Run({"--format", "yaml", "fleet", "status"}).code, 2);
}

TEST_F(BinaryTest, UnreachableCollectorExitsOneNamingTheAddress) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);  // nobody listens there now
  std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  Outcome outcome = Run({"--insecure", "--collector", address, "fleet", "status"});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_TRUE(absl::StrContains(outcome.err,
                                absl::StrCat("gutsctl: cannot reach the collector at ", address,
                                             " (set --collector or GUTSCTL_COLLECTOR)")))
      << outcome.err;
  EXPECT_TRUE(outcome.out.empty());
}

TEST_F(BinaryTest, PngOfTheFourThreeSplit) {
  TestFleetService collector(testing::FourThreeSplitOfSeven());
  std::filesystem::path png = dir_ / "partition.png";
  Outcome outcome = Run({"--insecure", "--collector", collector.address(), "net", "graph", "-o",
                         "png", "--file", png.string()});
  ASSERT_EQ(outcome.code, 0) << outcome.err;
  std::string bytes = ReadFileOrEmpty(png);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

TEST_F(BinaryTest, MissingGraphvizSaysHowToGetIt) {
  TestFleetService collector(testing::FourThreeSplitOfSeven());
  Outcome outcome = Run({"--insecure", "--collector", collector.address(), "net", "graph", "-o",
                         "svg", "--file", (dir_ / "g.svg").string()},
                        {"PATH=" + dir_.string()});
  EXPECT_EQ(outcome.code, 1);
  EXPECT_TRUE(absl::StrContains(outcome.err, "apt-get install graphviz")) << outcome.err;
}

TEST_F(BinaryTest, WatchRefreshesUntilCtrlC) {
  TestFleetService collector(testing::FourThreeSplitOfSeven());
  pid_t pid = Start({"--insecure", "--collector", collector.address(), "fleet", "status", "--watch",
                     "--interval", "200ms"});
  // Wait (bounded) until at least two refreshes were written, then interrupt.
  for (int i = 0; i < 200; ++i) {
    std::string out = ReadFileOrEmpty(dir_ / "out");
    if (out.find("FLEET") != out.rfind("FLEET")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGINT);
  Outcome outcome = Wait(pid);
  EXPECT_EQ(outcome.code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("FLEET"), outcome.out.rfind("FLEET")) << "two refreshes or more";
  EXPECT_FALSE(absl::StrContains(outcome.out, "\x1b[H")) << "no cursor moves off a terminal";
}

}  // namespace
}  // namespace guts::ctl
