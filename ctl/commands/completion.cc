#include "ctl/commands/completion.h"

#include <ostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace guts::ctl {
namespace {

// Words offered after `app`: its subcommands and its own flags.
std::string WordsOf(CLI::App* app) {
  std::vector<std::string> words;
  for (CLI::App* sub : app->get_subcommands({})) words.push_back(sub->get_name());
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_positional()) continue;
    for (const std::string& name : option->get_lnames()) words.push_back("--" + name);
  }
  return absl::StrJoin(words, " ");
}

// One case per command path ("", "fleet", "fleet status", ...).
void Cases(CLI::App* app, const std::string& path, std::string& out, std::set<std::string>& names) {
  absl::StrAppend(&out, "    \"", path, "\") words=\"", WordsOf(app), "\" ;;\n");
  for (CLI::App* sub : app->get_subcommands({})) {
    names.insert(sub->get_name());
    Cases(sub, path.empty() ? sub->get_name() : absl::StrCat(path, " ", sub->get_name()), out,
          names);
  }
}

std::string BashScript(CLI::App& root) {
  std::string cases;
  std::set<std::string> names;
  Cases(&root, "", cases, names);
  return absl::StrCat(
      "# gutsctl completion for bash: source <(gutsctl completion bash)\n"
      "_gutsctl() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i words\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=\"${COMP_WORDS[i]}\"\n"
      "    case \" ",
      absl::StrJoin(names, " "),
      " \" in\n"
      "      *\" $word \"*) path=\"${path:+$path }$word\" ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$path\" in\n",
      cases,
      "    *) words=\"\" ;;\n"
      "  esac\n"
      "  case \"${COMP_WORDS[COMP_CWORD-1]}\" in\n"
      "    -o|--format) words=\"table json dot svg png\" ;;\n"
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}\n"
      "complete -F _gutsctl gutsctl\n");
}

}  // namespace

void AddCompletionCommand(CLI::App& root, CommandRun& selected) {
  auto shell = std::make_shared<std::string>();
  CLI::App* completion =
      root.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  completion->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      "Examples:\n"
      "  source <(gutsctl completion bash)          # in ~/.bashrc\n"
      "  source <(gutsctl completion zsh)           # in ~/.zshrc");
  completion->callback([shell, &root, &selected] {
    selected = [shell, &root](Session& session) -> absl::StatusOr<int> {
      // zsh runs the bash script through its bashcompinit layer.
      if (*shell == "zsh") {
        session.out() << "autoload -U +X compinit && compinit\n"
                         "autoload -U +X bashcompinit && bashcompinit\n";
      }
      session.out() << BashScript(root);
      return kExitOk;
    };
  });
}

}  // namespace guts::ctl
