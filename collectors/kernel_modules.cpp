// The `modprobe_config` and `kernel_modules` tables: modprobe's
// configuration read as kmod 30 reads it (kernel_modules_parse.cpp), and for
// each module a check asks about, whether modprobe can load it, whether it
// is loaded (/proc/modules) or built into the running kernel
// (/lib/modules/<release>/modules.builtin).
//
// kernel_modules is a table-valued function over a hidden `module` argument
// (kernel_modules('usb-storage'), WHERE module IN (...)) rather than a fixed
// list: a check names the modules of its own policy, a module no file
// mentions still gets its row (not blacklisted, no install command), and the
// collector carries no policy's list. Listing everything the configuration
// says is modprobe_config's job.
#include "kernel_modules.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kProcCap = 1024u * 1024u;
constexpr std::size_t kModulesListCap = 16u * 1024u * 1024u;

struct Entry {
  ModprobeDirective d;
  std::string file;
};

struct Config {
  std::vector<Entry> entries;          // reading order: files, then /proc/cmdline
  std::vector<std::string> kernel_bl;  // module_blacklist= of the kernel
  bool cmdline_known = false;
};

std::string at(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

// Everything kmod would read, in its order; files it would skip are warnings.
Result<Config> load_config(CollectContext& ctx) {
  const Host& host = ctx.host();
  std::vector<ConfDir> dirs;
  for (std::string_view d : kModprobeDirs) {
    ConfDir cd;
    cd.path = std::string(d);
    auto st = host.stat(d, true);
    if (st && (st->type == FileType::directory || st->type == FileType::regular)) {
      cd.exists = true;
      cd.is_file = st->type == FileType::regular;
      if (!cd.is_file) {
        auto entries = host.list_dir(d);
        if (!entries) return make_error(entries.error().code, cd.path + ": " + entries.error().message);
        for (const auto& e : *entries) {
          auto est = host.stat(cd.path + "/" + e.name, true);
          cd.entries.push_back(ConfEntry{e.name, est && est->type == FileType::directory});
        }
      }
    } else if (st) {
      ctx.warn(cd.path, std::string("a ") + file_type_name(st->type) + "; kmod refuses it");
    }
    dirs.push_back(std::move(cd));
  }
  const ConfOrder order = order_modprobe_files(dirs);
  for (const auto& [file, why] : order.notes) ctx.warn(sanitize_utf8(file), why);
  for (const auto& [file, by] : order.masked)
    ctx.warn(sanitize_utf8(file),
             "masked by " + sanitize_utf8(by) + " (same name, earlier directory): not read");

  Config c;
  for (const auto& f : order.files) {
    auto text = host.read_file(f.path);
    if (!text) {
      if (text.is(Errc::too_large)) return make_error(Errc::too_large, text.error().message);
      auto st = host.stat(f.path, true);
      ctx.warn(sanitize_utf8(f.path),
               st && st->type == FileType::char_device
                   ? "a device (a link to /dev/null masks a file of the same name): read as empty"
                   : "not read (" + text.error().message + "); kmod skips a file it cannot open" +
                         (st && st->type == FileType::fifo ? " and would block on a fifo" : ""));
      continue;
    }
    const ModprobeConf conf = parse_modprobe_conf(text->data);
    for (const auto& i : conf.issues) ctx.warn(at(sanitize_utf8(f.path), i.line), i.message);
    for (const auto& d : conf.directives) {
      if (d.module.find('\r') != std::string::npos)
        ctx.warn(at(sanitize_utf8(f.path), d.line),
                 "a carriage return (CRLF file) is part of the module name to kmod: this " + d.command +
                     " line names no real module");
      else if (d.value && d.value->find('\r') != std::string::npos)
        ctx.warn(at(sanitize_utf8(f.path), d.line),
                 "the " + d.command + " line ends in a carriage return (CRLF file), which kmod keeps");
      c.entries.push_back(Entry{d, f.path});
    }
  }

  const std::string cmdline_file(kProcCmdline);
  auto cmdline = host.read_file(kProcCmdline, ReadOptions{.max_bytes = kProcCap});
  if (cmdline) {
    c.cmdline_known = true;
    const KernelCmdline k = parse_kernel_cmdline(cmdline->data);
    for (const auto& s : k.settings) {
      if (s.module == "modprobe" && s.param.rfind("blacklist=", 0) == 0) {
        // kmod keeps these names as written: 'usb-storage' here blocks nothing.
        for (auto n : split(std::string_view(s.param).substr(10), ','))
          c.entries.push_back(
              Entry{ModprobeDirective{"blacklist", std::string(n), std::nullopt, 1}, cmdline_file});
      } else if (auto m = kmod_underscores(s.module)) {
        c.entries.push_back(Entry{ModprobeDirective{"options", *m, s.param, 1}, cmdline_file});
      }
    }
    c.kernel_bl = k.module_blacklist;
  } else if (!cmdline.is(Errc::not_found)) {
    ctx.warn(cmdline_file, "cannot be read: " + cmdline.error().message);
  }
  return c;
}

Status collect_config(CollectContext& ctx, std::vector<Row>& rows) {
  auto c = load_config(ctx);
  if (!c) return std::move(c).error();
  std::int64_t seq = 0;
  for (const auto& e : c->entries) {
    rows.push_back(Row{int_value(++seq), text_value(e.d.command), text_value(sanitize_utf8(e.d.module)),
                       e.d.value ? text_value(sanitize_utf8(*e.d.value)) : null_value(),
                       text_value(sanitize_utf8(e.file)), int_value(e.d.line)});
  }
  for (const auto& n : c->kernel_bl) {
    rows.push_back(Row{int_value(++seq), text_value("module_blacklist"), text_value(sanitize_utf8(n)),
                       null_value(), text_value(std::string(kProcCmdline)), int_value(1)});
  }
  return Status::success();
}

// Names in a module list file, or nullopt (with a warning) when it cannot be read.
std::optional<std::vector<std::string>> module_list(CollectContext& ctx, const std::string& path) {
  auto text = ctx.host().read_file(path, ReadOptions{.max_bytes = kModulesListCap});
  if (!text) {
    ctx.warn(path,
             text.is(Errc::not_found) ? "absent: unknown (NULL)" : "cannot be read: " + text.error().message);
    return std::nullopt;
  }
  return module_names_in_list(text->data);
}

Value contains(const std::optional<std::vector<std::string>>& list, const std::string& name) {
  if (!list) return null_value();
  return bool_value(std::find(list->begin(), list->end(), name) != list->end());
}

Status collect_modules(CollectContext& ctx, std::vector<Row>& rows) {
  const Value arg = ctx.args().empty() ? null_value() : ctx.args().front();
  const auto* asked = std::get_if<std::string>(&arg);
  if (asked == nullptr || asked->empty())
    return make_error(Errc::invalid, "kernel_modules: module must be a module name, e.g. 'usb-storage'");
  const std::string name = [&] {
    std::string n = *asked;
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
  }();

  auto c = load_config(ctx);
  if (!c) return std::move(c).error();
  const Entry* install = nullptr;
  const Entry* blacklist = nullptr;
  const Entry* softdep = nullptr;
  for (const auto& e : c->entries) {
    if (softdep == nullptr && e.d.command == "softdep" && ::fnmatch(e.d.module.c_str(), name.c_str(), 0) == 0)
      softdep = &e;
    // install patterns are fnmatch()ed against the name, the first one wins;
    // blacklist names are compared as they are.
    if (install == nullptr && e.d.command == "install" && ::fnmatch(e.d.module.c_str(), name.c_str(), 0) == 0)
      install = &e;
    if (blacklist == nullptr && e.d.command == "blacklist" && e.d.module == name) blacklist = &e;
  }

  std::optional<std::vector<std::string>> loaded;
  if (auto mods = ctx.host().read_file(kProcModules, ReadOptions{.max_bytes = kProcCap})) {
    loaded.emplace();
    for (auto l : split_lines(mods->data)) {
      const auto f = split_ws(l);
      if (!f.empty()) loaded->emplace_back(f[0]);
    }
  } else {
    ctx.warn(std::string(kProcModules),
             mods.is(Errc::not_found)
                 ? "absent (no /proc under this root, or a kernel without loadable modules): loaded is NULL"
                 : "cannot be read: " + mods.error().message);
  }
  std::optional<std::vector<std::string>> builtin;
  std::optional<std::vector<std::string>> available;
  auto release = ctx.host().read_file("/proc/sys/kernel/osrelease", ReadOptions{.max_bytes = 4096});
  const std::string rel = release ? std::string(trim(release->data)) : std::string();
  if (!rel.empty() && rel.find('/') == std::string::npos && rel != "." && rel != "..") {
    builtin = module_list(ctx, "/lib/modules/" + rel + "/modules.builtin");
    available = module_list(ctx, "/lib/modules/" + rel + "/modules.dep");
  } else {
    ctx.warn("/proc/sys/kernel/osrelease", "no kernel release: builtin and available are NULL");
  }

  // kmod ignores a module's install command when its soft dependencies
  // resolve (mod->ignorecmd in __kmod_module_get_probe_list; modprobe.d(5):
  // "softdep takes precedence"); whether they resolve needs modules.dep and
  // modules.alias, so that case is unknown.
  Value disabled = bool_value(false);
  if (install != nullptr)
    disabled = softdep == nullptr && install_disables(install->d.value.value_or("")) ? bool_value(true)
                                                                                     : null_value();
  const Entry* source = install != nullptr ? install : blacklist;
  Value kernel_bl =
      c->cmdline_known
          ? bool_value(std::find(c->kernel_bl.begin(), c->kernel_bl.end(), name) != c->kernel_bl.end())
          : null_value();
  rows.push_back(Row{
      text_value(sanitize_utf8(*asked)),
      text_value(sanitize_utf8(name)),
      install ? text_value(sanitize_utf8(trim_install_command(*install->d.value))) : null_value(),
      std::move(disabled),
      softdep ? text_value(sanitize_utf8(trim_install_command(softdep->d.value.value_or("")))) : null_value(),
      bool_value(blacklist != nullptr),
      blacklist ? text_value(sanitize_utf8(at(blacklist->file, blacklist->d.line))) : null_value(),
      std::move(kernel_bl),
      contains(loaded, name),
      contains(builtin, name),
      contains(available, name),
      source ? text_value(sanitize_utf8(source->file)) : null_value(),
      source ? int_value(source->d.line) : null_value(),
  });
  return Status::success();
}

using T = ColumnType;

TableDef modprobe_config_table() {
  return TableDef{
      "modprobe_config",
      "Every directive of modprobe's configuration in the order kmod 30 reads it: *.conf and *.alias "
      "files of /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d and /lib/modprobe.d in one "
      "lexical order of their names (a name in an earlier directory masks the same name in a later one: a "
      "warning), then /proc/cmdline (modprobe.blacklist=, module.param=, and the kernel's own "
      "module_blacklist=). Lines kmod ignores are warnings. No directory: no rows.",
      {
          {"seq", T::integer, "1, 2... in reading order"},
          {"command", T::text,
           "alias, blacklist, install, remove, options, softdep; module_blacklist for the kernel's "
           "module_blacklist= (the kernel refuses to load the module at all)"},
          {"module", T::text,
           "the module (for alias: the alias) with '-' read as '_' as kmod does (a shell pattern for "
           "install, options, softdep and alias); names from modprobe.blacklist= and module_blacklist= as "
           "written"},
          {"value", T::text,
           "alias: the module it names; install/remove: the shell command; options: the options (tabs "
           "as spaces); softdep: 'pre: ... post: ...'; NULL for blacklist"},
          {"file", T::text, "host path of the file, or /proc/cmdline"},
          {"line", T::integer, "first line of the (continued) line; 1 for /proc/cmdline"},
      },
      collect_config,
  };
}

TableDef kernel_modules_table() {
  return TableDef{
      "kernel_modules",
      "Whether modprobe can load a module, for the modules a check names: kernel_modules('usb-storage') "
      "or WHERE module IN ('usb_storage', 'cramfs'); one row per name asked, whether or not any file "
      "mentions it. From modprobe_config (kmod 30), /proc/modules, /proc/cmdline and "
      "/lib/modules/<release>/modules.builtin and modules.dep for the running release "
      "(/proc/sys/kernel/osrelease). An install command replaces loading for modprobe, also when the "
      "module is pulled in as a dependency (not for modprobe --ignore-install or insmod of the file); a "
      "blacklist only stops loading through an alias (udev's hardware autoloading, modprobe -b): an "
      "explicit 'modprobe usb-storage', or a module that depends on it, still loads it.",
      {
          {"module", T::text, "argument: the name asked, as given", true},
          {"name", T::text, "the name with '-' read as '_' (usb_storage), as kmod and the kernel compare it"},
          {"install_command", T::text,
           "the install command in force: the first install line whose pattern matches the name, in "
           "reading order; NULL when none"},
          {"disabled_by_install", T::integer,
           "1 when that command loads nothing: /bin/false, /bin/true, /usr/bin/false, /usr/bin/true, "
           "false or true, with plain arguments or a comment after it; 0 when there is no install "
           "command; NULL for any other command (it may or may not load the module), and when a softdep "
           "line matches the module too (kmod then skips the install command if the soft dependencies "
           "resolve)"},
          {"softdep", T::text,
           "the soft dependencies in force ('pre: a post: b'): the first softdep line whose pattern matches; "
           "NULL when none"},
          {"blacklisted", T::integer,
           "1 when a blacklist line, or modprobe.blacklist= on /proc/cmdline, names the module exactly "
           "(cmdline names are not normalised: modprobe.blacklist=usb-storage does not count)"},
          {"blacklisted_at", T::text, "file:line of the first such blacklist; NULL when none"},
          {"kernel_blacklisted", T::integer,
           "1 when the kernel's module_blacklist= on /proc/cmdline names it exactly (the kernel refuses "
           "every load, insmod too); NULL without /proc/cmdline"},
          {"loaded", T::integer, "1 when /proc/modules lists it now; NULL without /proc/modules"},
          {"builtin", T::integer,
           "1 when modules.builtin of the running release lists it (built into the kernel: always "
           "present, nothing in modprobe.d can keep it out); NULL when the file is absent"},
          {"available", T::integer,
           "1 when modules.dep of the running release lists a module file for it (it could be "
           "loaded); 0 when not (not built as a module for this kernel); NULL when modules.dep is absent"},
          {"file", T::text, "the file of the install command in force, else of the first blacklist; NULL"},
          {"line", T::integer, "its line; NULL"},
      },
      collect_modules,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(modprobe_config_table());
VIGIL_REGISTER_TABLE(kernel_modules_table());

}  // namespace vigil::collectors
