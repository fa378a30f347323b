#include "agent/node_pid.h"

#include <dirent.h>

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/proc_file.h"

namespace guts::agent {
namespace {

// A comm is at most 16 bytes; a little more leaves room for the newline.
constexpr size_t kMaxCommBytes = 64;

bool Named(const std::string& proc_root, int pid, absl::string_view process_name) {
  std::string comm;
  return ReadProcFile(absl::StrCat(proc_root, "/", pid, "/comm"), comm, kMaxCommBytes) &&
         absl::StripAsciiWhitespace(comm) == process_name;
}

// A process rather than another thread of one: /proc/<tid>/comm exists for every thread (not
// listed by readdir, but open by name), and a thread carries its process's name.
bool ThreadGroupLeader(const std::string& proc_root, int pid) {
  std::string status;
  if (!ReadProcFile(absl::StrCat(proc_root, "/", pid, "/status"), status, 8192)) return false;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    int tgid = 0;
    if (absl::ConsumePrefix(&line, "Tgid:")) {
      return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &tgid) && tgid == pid;
    }
  }
  return false;
}

// The pid the kernel handed out last ("0.20 0.18 0.12 1/80 11206" -> 11206); 0 unknown.
int LastCreatedPid(const std::string& proc_root) {
  std::string loadavg;
  if (!ReadProcFile(proc_root + "/loadavg", loadavg, 256)) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(loadavg), ' ', absl::SkipEmpty());
  int pid = 0;
  return fields.size() == 5 && absl::SimpleAtoi(fields[4], &pid) && pid > 0 ? pid : 0;
}

}  // namespace

int FindNodePid(const std::string& proc_root, absl::string_view process_name, int last) {
  if (last > 0 && Named(proc_root, last, process_name)) return last;
  int found = 0;
  if (DIR* dir = opendir(proc_root.c_str())) {
    while (dirent* entry = readdir(dir)) {
      int pid = 0;
      if (absl::SimpleAtoi(entry->d_name, &pid) && pid > 0 && Named(proc_root, pid, process_name)) {
        found = pid;
        break;
      }
    }
    closedir(dir);
  }
  return found;
}

NodeProcessWatch::NodeProcessWatch(std::string proc_root, std::string process_name,
                                   absl::Duration full_search_every)
    : proc_root_(std::move(proc_root)),
      process_name_(std::move(process_name)),
      full_search_every_(full_search_every) {}

int NodeProcessWatch::Find(absl::Time now) {
  if (pid_ > 0 && Named(proc_root_, pid_, process_name_)) return pid_;
  // The node is not (or no longer) where it was. Read loadavg before searching, so a process
  // created during the search moves it and the next call searches again.
  const int created = LastCreatedPid(proc_root_);
  const int previous = last_created_;
  last_created_ = created;
  const bool full_search_due = now - searched_ >= full_search_every_;
  if (pid_ == 0 && !full_search_due && created != 0 && previous != 0 && created >= previous &&
      created - previous <= kMaxNewPidsChecked) {
    // Only the pids handed out since the last call can be new processes (pids grow until they
    // wrap): a few comm reads instead of one per process on the host.
    for (int pid = previous + 1; pid <= created; ++pid) {
      if (Named(proc_root_, pid, process_name_) && ThreadGroupLeader(proc_root_, pid)) {
        pid_ = pid;
        return pid_;
      }
    }
    return 0;
  }
  searched_ = now;
  pid_ = FindNodePid(proc_root_, process_name_);
  return pid_;
}

}  // namespace guts::agent
