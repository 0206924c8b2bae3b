/**
 * The launcher: a POSIX shell script that runs inside fresh namespaces
 * (made by util-linux `unshare`), as root of them, and
 * 1. builds a new root file system in memory from the plan (view.ts):
 *    the folders shown, read-only unless writable, a fresh /proc, /dev and
 *    /tmp;
 * 2. switches to it (pivot_root) and lets go of the runner's;
 * 3. reads the environment the action wrote for the program;
 * 4. drops every capability for good (util-linux `setpriv`: no new
 *    privileges, empty bounding set; in the privileged form it also takes
 *    the action's own uid and gid) and starts the program.
 *
 * The script is the first argument of `sh -c`; then come the control
 * folder (plan, environment, mount point), the working folder, and the
 * command that drops the privileges and runs the program.
 */

/** The absolute paths of the tools used, never looked up on PATH (GITHUB_PATH can change PATH). */
export const TOOLS = {
  sh: '/bin/sh',
  unshare: ['/usr/bin/unshare', '/bin/unshare'],
  setpriv: ['/usr/bin/setpriv', '/bin/setpriv'],
  sudo: ['/usr/bin/sudo', '/bin/sudo']
}

export const LAUNCHER = String.raw`set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
ctl=$1
cwd=$2
shift 2
R=$ctl/root
tab=$(printf '\t')
# The program's environment, read before the runner's files are let go of.
program_env=$(cat "$ctl/env")
mount -t tmpfs -o mode=0755,nosuid,nodev sandbox "$R"
readonly_bind() {
  # A mount of a user namespace keeps the flags its parent locked
  # (noexec, atime): ask for them again.
  flags=$(findmnt -n -o VFS-OPTIONS --target "$1" | tr ',' '\n' | grep -E '^(noexec|noatime|nodiratime|strictatime|relatime)$' | tr '\n' ',' || true)
  mount -o "remount,bind,ro,nosuid,nodev,${'$'}{flags%,}" "$1"
}
while IFS=$tab read -r kind p source; do
  t=$R$p
  case $kind in
    proc)
      [ -d "$t" ] || mkdir -p "$t"
      mount -t proc -o nosuid,nodev,noexec proc "$t" 2>/dev/null || true
      ;;
    dev)
      [ -d "$t" ] || mkdir -p "$t"
      mount -t tmpfs -o mode=0755,nosuid,noexec dev "$t"
      for n in null zero random urandom; do
        if [ -e "/dev/$n" ]; then
          : >"$t/$n"
          mount --bind "/dev/$n" "$t/$n"
        fi
      done
      ln -s /proc/self/fd "$t/fd"
      mkdir -m 1777 "$t/shm"
      ;;
    dir)
      mkdir -p "$t"
      ;;
    tmp | tmpfs)
      [ -d "$t" ] || mkdir -p "$t"
      if [ "$kind" = tmp ]; then mode=1777; else mode=0755; fi
      mount -t tmpfs -o "mode=$mode,nosuid,nodev" "$kind" "$t"
      ;;
    link)
      if [ ! -e "$t" ] && [ ! -L "$t" ]; then
        [ -d "${'$'}{t%/*}" ] || mkdir -p "${'$'}{t%/*}"
        ln -s "$source" "$t"
      fi
      ;;
    ro | rw)
      if [ -d "$source" ]; then
        [ -d "$t" ] || mkdir -p "$t"
      elif [ ! -e "$t" ]; then
        [ -d "${'$'}{t%/*}" ] || mkdir -p "${'$'}{t%/*}"
        : >"$t"
      fi
      if [ "$kind" = rw ]; then
        mount --bind "$source" "$t"
      else
        mount --bind -o ro,nosuid,nodev "$source" "$t" 2>/dev/null || readonly_bind "$t"
      fi
      ;;
  esac
done <"$ctl/plan"
cd "$R"
mkdir .old
pivot_root . .old
cd /
umount -l /.old
rmdir /.old
mount -o remount,bind,ro,nosuid,nodev /
cd "$cwd" 2>/dev/null || cd /tmp
unset SUDO_COMMAND SUDO_USER SUDO_UID SUDO_GID SUDO_HOME HOME LOGNAME USER MAIL SHELL TERM PWD OLDPWD PATH tab
set -a
eval "$program_env"
set +a
exec "$@"
`
