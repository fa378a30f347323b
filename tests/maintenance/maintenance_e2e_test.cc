// gutsctl maintenance against a real guts-collector: declare, list, end; the window survives a
// collector restart; declarations and ends are in the audit log.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace guts::testing {
namespace {

class Collector {
 public:
  Collector(const std::string& dir, int run) {
    std::string ready = absl::StrCat(dir, "/ready-", run);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BinaryPath("guts-collector"), "--grpc-addr", "127.0.0.1:0",
                                 "--http-addr", "127.0.0.1:0", "--data-dir", dir + "/data",
                                 "--insecure", "--ready-file", ready, "--audit-log",
                                 dir + "/audit.log", "--log-level", "warn"},
        dir + "/collector.log");
    absl::StatusOr<std::string> text = WaitForReadyFile(ready, absl::Seconds(30));
    if (text.ok()) grpc_ = nlohmann::json::parse(*text)["grpc"];
  }
  const std::string& grpc() const { return grpc_; }
  // stdout and stderr together, or stdout alone (JSON) when `stderr_too` is false.
  ShellResult Ctl(const std::string& args, bool stderr_too = true) {
    return Shell(absl::StrCat("(", BinaryPath("gutsctl"), " --insecure --collector ", grpc_, " ",
                              args, stderr_too ? ")" : " 2>/dev/null)"));
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string grpc_;
};

TEST(MaintenanceE2E, DeclaredWindowIsListedSurvivesARestartEndsAndIsAudited) {
  std::string dir = FreshTempDir("maintenance_e2e");
  std::string id;
  {
    Collector c(dir, 1);
    ASSERT_FALSE(c.grpc().empty());
    ShellResult declared =
        c.Ctl("-o json maintenance declare --nodes v3,v4 --duration 45m --reason 'kernel upgrade'",
              /*stderr_too=*/false);
    ASSERT_EQ(declared.exit_code, 0) << declared.output;
    nlohmann::json window = nlohmann::json::parse(declared.output, nullptr, false);
    ASSERT_TRUE(window.is_object()) << declared.output;
    id = window["id"];
    ShellResult bad = c.Ctl("maintenance declare --duration 9d");
    EXPECT_NE(bad.exit_code, 0) << bad.output;
  }
  Collector c(dir, 2);
  ShellResult list = c.Ctl("maintenance list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find(id), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("v3,v4"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("active"), std::string::npos) << list.output;
  ShellResult ended = c.Ctl("maintenance end " + id);
  ASSERT_EQ(ended.exit_code, 0) << ended.output;
  EXPECT_NE(c.Ctl("maintenance list").output.find("no maintenance window"), std::string::npos);
  EXPECT_NE(c.Ctl("maintenance list --all").output.find("ended by"), std::string::npos);

  std::ifstream audit(dir + "/audit.log");
  std::stringstream text;
  text << audit.rdbuf();
  EXPECT_NE(text.str().find("DeclareMaintenance nodes=[\"v3\",\"v4\"]"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("EndMaintenance window=\"" + id + "\""), std::string::npos)
      << text.str();
}

}  // namespace
}  // namespace guts::testing
