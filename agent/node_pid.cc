#include "agent/node_pid.h"

#include <dirent.h>

#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace guts::agent {
namespace {

bool Named(const std::string& proc_root, int pid, absl::string_view process_name) {
  std::ifstream in(absl::StrCat(proc_root, "/", pid, "/comm"));
  std::string comm;
  return std::getline(in, comm) && absl::StripAsciiWhitespace(comm) == process_name;
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

}  // namespace guts::agent
