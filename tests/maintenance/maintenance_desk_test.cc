// The maintenance desk on a real store: declare, list, end, bounds, and a reopen keeps them.
#include "collector/maintenance/maintenance_desk.h"

#include <filesystem>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

class MaintenanceDeskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("maintenance_desk_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    desk_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(std::vector<std::pair<absl::Time, absl::Time>> flags = {}) {
    desk_.reset();
    store_.reset();
    auto s = Store::Open({.dir = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    auto d = MaintenanceDesk::Open(store_.get(), flags);
    ASSERT_TRUE(d.ok()) << d.status();
    desk_ = *std::move(d);
  }
  static v1::DeclareMaintenanceRequest For(std::vector<std::string> nodes, absl::Duration d) {
    v1::DeclareMaintenanceRequest r;
    for (auto& n : nodes) r.add_nodes(n);
    r.set_duration_ms(absl::ToInt64Milliseconds(d));
    r.set_reason("kernel upgrade");
    return r;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MaintenanceDesk> desk_;
};

TEST_F(MaintenanceDeskTest, DeclaredWindowSurvivesARestartAndEnds) {
  absl::Time now = absl::Now();
  auto w = desk_->Declare(For({"v4", "v3", "v4"}, absl::Minutes(45)), "alice (operator)", now);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(absl::StrJoin(w->nodes(), ","), "v3,v4");
  EXPECT_EQ(w->declared_by(), "alice (operator)");
  Reopen();
  v1::MaintenanceList list = desk_->List(false, now);
  ASSERT_EQ(list.windows_size(), 1);
  EXPECT_EQ(list.windows(0).id(), w->id());
  auto analysis = desk_->ForAnalysis(now + absl::Minutes(1));
  ASSERT_EQ(analysis.size(), 1u);
  EXPECT_EQ(analysis[0].nodes, (std::vector<std::string>{"v3", "v4"}));

  auto ended = desk_->End(w->id(), "bob (operator)", now + absl::Minutes(2));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->ended_by(), "bob (operator)");
  EXPECT_TRUE(desk_->ForAnalysis(now + absl::Minutes(3)).empty());
  Reopen();
  EXPECT_EQ(desk_->List(false, now + absl::Minutes(3)).windows_size(), 0);
  EXPECT_EQ(desk_->List(true, now + absl::Minutes(3)).windows_size(), 1);
  EXPECT_EQ(desk_->End(w->id(), "bob", now + absl::Minutes(4)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MaintenanceDeskTest, RefusesWhatIsOutOfBounds) {
  absl::Time now = absl::Now();
  EXPECT_FALSE(desk_->Declare(For({}, absl::ZeroDuration()), "a", now).ok());
  EXPECT_FALSE(desk_->Declare(For({}, absl::Hours(24 * 8)), "a", now).ok());
  EXPECT_FALSE(desk_->Declare(For({"bad node"}, absl::Hours(1)), "a", now).ok());
  v1::DeclareMaintenanceRequest past = For({}, absl::Hours(1));
  past.set_start_unix_ms(absl::ToUnixMillis(now - absl::Hours(2)));
  EXPECT_FALSE(desk_->Declare(past, "a", now).ok());
  v1::DeclareMaintenanceRequest chatty = For({}, absl::Hours(1));
  chatty.set_reason(std::string(600, 'x'));
  EXPECT_FALSE(desk_->Declare(chatty, "a", now).ok());
  EXPECT_EQ(desk_->End("mw-none", "a", now).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(desk_->List(true, now).windows_size(), 0);
}

TEST_F(MaintenanceDeskTest, FlagWindowsAreListedNotStoredNorEnded) {
  absl::Time now = absl::Now();
  Reopen({{now - absl::Minutes(1), now + absl::Hours(1)}});
  v1::MaintenanceList list = desk_->List(false, now);
  ASSERT_EQ(list.windows_size(), 1);
  EXPECT_EQ(list.windows(0).declared_by(), "--maintenance-window");
  EXPECT_EQ(desk_->End(list.windows(0).id(), "a", now).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(desk_->ForAnalysis(now).size(), 1u);
  EXPECT_TRUE(desk_->ForAnalysis(now)[0].nodes.empty());  // the whole network
  Reopen();
  EXPECT_EQ(desk_->List(true, now).windows_size(), 0);
}

}  // namespace
}  // namespace guts::collector
