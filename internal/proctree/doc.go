// Package proctree finds and stops whole process trees on Linux: every
// descendant of a process, including those that left its process group or
// session (setsid) and those re-parented to a child subreaper.
//
// fetchd uses it for plugins. A plugin may start children of its own, on
// purpose or by accident (a shell, a helper, a daemon that forks twice); any
// of them can hold the plugin's stderr pipe open, which keeps go-plugin
// waiting for the plugin to "finish" forever (hashicorp/go-plugin#136). So
// every plugin runs under a small launcher (see pluginhost) that makes
// itself a child subreaper (SetSubreaper): nothing the plugin starts can
// leave the launcher's subtree, and when the plugin is done the launcher
// stops that subtree (Kill) and exits. fetchd itself is a subreaper too, as
// a backstop for a launcher that was killed outright.
//
// Who reads this: whoever changes how plugin processes are started or
// stopped.
package proctree
