#!/usr/bin/env bash
# Checks that the Dockerfile's runtime stage installs exactly the Debian packages the built binaries
# load: `ldd` on pulsed and pulsectl, each library mapped to its package with `dpkg -S`. No Docker engine
# is needed: the build machine is Debian 12 like both image stages, so its packages are the image's.
#
#   bash tests/helm/check_image_deps.sh [DOCKERFILE]
#
# Packages already in debian:12-slim (libc6, libgcc-s1, libstdc++6) are not listed in the Dockerfile,
# and must not be. Every other package listed must be needed by a library (none is spare); a package
# needed for another reason (ca-certificates for an HTTPS adapter) goes into allowed_extra below.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

repo_dir=$(cd "$(dirname "$0")/../.." && pwd)
dockerfile=${1:-$repo_dir/Dockerfile}
bin_dir=${PULSE_BINARY_DIR:-$repo_dir/build}/sidecar/cli
readonly base_packages="libc6 libgcc-s1 libstdc++6"
readonly allowed_extra="ca-certificates"  # HTTPS to the CRM (the SuiteCRM and Odoo adapters)

failed=0
ok() { echo "ok - image: $1"; }
not_ok() { echo "not ok - image: $1"; failed=1; }

# The package owning a library path. Debian 12 is merged-/usr: ldd may report /lib/... for a file
# dpkg registered as /usr/lib/... (or the other way round), so try both spellings and the real path.
owner_of() {
  local path=$1 candidate
  for candidate in "$path" "$(readlink -f "$path")" "/usr${path#/usr}" "${path#/usr}"; do
    if out=$(dpkg -S "$candidate" 2>/dev/null); then
      echo "${out%%:*}" | head -n 1
      return 0
    fi
  done
  return 1
}

for tool in ldd dpkg python3; do
  command -v "$tool" >/dev/null || { not_ok "$tool is needed (Debian: libc-bin, dpkg, python3)"; exit 1; }
done

needed=()
for bin in pulsed pulsectl; do
  if [ ! -x "$bin_dir/$bin" ]; then
    not_ok "$bin_dir/$bin is built (build first: bash scripts/build.sh)"
    continue
  fi
  libs=$(ldd "$bin_dir/$bin") || { not_ok "ldd $bin failed"; continue; }
  if grep -q "not found" <<<"$libs"; then
    not_ok "$bin: every shared library resolves: $(grep 'not found' <<<"$libs" | tr -s ' \t' ' ')"
    continue
  fi
  unowned=()
  # "libfoo.so.1 => /path (0x...)" lines, plus the dynamic loader "/lib64/ld-linux-x86-64.so.2 (0x...)".
  while read -r path; do
    [ -n "$path" ] || continue
    if pkg=$(owner_of "$path"); then
      needed+=("$pkg")
    else
      unowned+=("$path")
    fi
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$libs")
  if [ "${#unowned[@]}" -eq 0 ]; then
    ok "$bin: every library belongs to a Debian package ($(grep -c '=>' <<<"$libs") libraries)"
  else
    not_ok "$bin: libraries no Debian package owns (built by hand?): ${unowned[*]}"
  fi
done
[ "${#needed[@]}" -gt 0 ] || { echo "not ok - image: no library found"; exit 1; }

mapfile -t required < <(printf '%s\n' "${needed[@]}" | sort -u | grep -vxF -f <(tr ' ' '\n' <<<"$base_packages"))
mapfile -t listed < <(python3 "$repo_dir/tests/helm/lint_dockerfile.py" --runtime-packages "$dockerfile" | sort -u)

missing=$(comm -23 <(printf '%s\n' "${required[@]}") <(printf '%s\n' "${listed[@]}"))
extra=$(comm -13 <(printf '%s\n' "${required[@]}") <(printf '%s\n' "${listed[@]}") | grep -vxF -f <(tr ' ' '\n' <<<"$allowed_extra") || true)
dev=$(printf '%s\n' "${listed[@]}" | grep -E -- '-(dev|dbg)$' || true)

if [ -z "$missing" ]; then
  ok "the runtime stage installs every package the binaries need (${#required[@]}: ${required[*]})"
else
  not_ok "the runtime apt-get install lacks: $(echo $missing) (ldd -> dpkg -S found them; add them to the Dockerfile)"
fi
if [ -z "$extra" ]; then
  ok "the runtime stage installs nothing else (${allowed_extra:+besides $allowed_extra; }$base_packages come with debian:12-slim)"
else
  not_ok "the runtime apt-get install lists packages no binary needs: $(echo $extra)"
fi
if [ -z "$dev" ]; then
  ok "no -dev package in the runtime stage"
else
  not_ok "-dev packages in the runtime stage: $(echo $dev)"
fi
exit "$failed"
