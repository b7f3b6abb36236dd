#!/usr/bin/env python3
"""A small Dockerfile linter for Pulse's image (hadolint is not installable offline).

Usage:
  lint_dockerfile.py [DOCKERFILE]                     check the rules; "ok - ..." / "not ok - ..." lines
  lint_dockerfile.py --runtime-packages [DOCKERFILE]  print the packages the final stage apt-get installs

Rules (the hadolint ones that matter here, plus Pulse's own): base images pinned to a tag, never
`latest` (DL3006/DL3007); build and runtime on the same Debian release, so the runtime libraries are the
ones the build linked; `apt-get install -y --no-install-recommends` (DL3014/DL3015); `apt-get update`
only together with install and `rm -rf /var/lib/apt/lists/*` in one RUN (DL3009); no ADD (DL3020), so no
ADD of URLs; no `curl | sh`; no sudo (DL3004); no -dev package in the runtime stage; a numeric non-root
USER last in the runtime stage (Kubernetes' runAsNonRoot can only verify a numeric user); exec-form
ENTRYPOINT and CMD running `pulsed serve --config /etc/pulse/pulse.yaml`; no credentials in ENV/ARG.
"""

import json
import re
import shlex
import sys


def instructions(path):
    """(line number, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    result, buf, start = [], "", 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if not buf and (not stripped or stripped.startswith("#")):
                continue
            if buf and stripped.startswith("#"):
                continue  # a comment inside a continued instruction
            if not buf:
                start = number
            if stripped.endswith("\\"):
                buf += stripped[:-1] + " "
                continue
            buf += stripped
            word, _, rest = buf.partition(" ")
            result.append((start, word.upper(), rest.strip()))
            buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        result.append((start, word.upper(), rest.strip()))
    return result


def stages(insts):
    """Instructions grouped by FROM: [(from_args, [instructions...]), ...]."""
    out = []
    for inst in insts:
        if inst[1] == "FROM":
            out.append((inst, []))
        elif out:
            out[-1][1].append(inst)
    return out


def apt_install_packages(run_args):
    """Packages named by each `apt-get install` in a RUN command line."""
    packages = []
    for command in re.split(r"&&|;|\|\|", run_args):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        words = [w for w in words if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
        if "apt-get" in words and "install" in words:
            after = words[words.index("install") + 1:]
            packages += [w for w in after if not w.startswith("-")]
    return packages


def image_of(from_args):
    words = [w for w in from_args.split() if not w.startswith("--")]
    return words[0] if words else ""


def main(argv):
    if argv and argv[0] == "--runtime-packages":
        path = argv[1] if len(argv) > 1 else "Dockerfile"
        st = stages(instructions(path))
        packages = []
        for _, word, args in st[-1][1] if st else []:
            if word == "RUN":
                packages += apt_install_packages(args)
        print("\n".join(packages))
        return 0

    path = argv[0] if argv else "Dockerfile"
    failed = 0

    def check(what, ok, why=""):
        nonlocal failed
        if ok:
            print(f"ok - Dockerfile: {what}")
        else:
            failed += 1
            print(f"not ok - Dockerfile: {what}: {why}")

    insts = instructions(path)
    st = stages(insts)
    check("has a build and a runtime stage", len(st) >= 2, f"{len(st)} stage(s)")
    if not st:
        return 1
    aliases = set()
    bad_bases = []
    for (line, _, args), _ in st:
        image = image_of(args)
        m = re.search(r"\bAS\s+(\S+)", args, re.IGNORECASE)
        if image in aliases:
            pass
        elif "@sha256:" in image:
            pass
        elif ":" not in image.split("/")[-1] or image.endswith(":latest"):
            bad_bases.append(f"line {line}: {image}")
        if m:
            aliases.add(m.group(1))
    check("every base image is pinned to a tag (no implicit or explicit latest)", not bad_bases, "; ".join(bad_bases))

    def release(image):
        m = re.match(r"(?:docker\.io/)?(?:library/)?debian:(\d+|bookworm|bullseye|trixie)", image)
        return {"bookworm": "12", "bullseye": "11", "trixie": "13"}.get(m.group(1), m.group(1)) if m else None

    bases = [image_of(f[2]) for f, _ in st]
    check("build and runtime stages use the same Debian release",
          release(bases[0]) is not None and release(bases[0]) == release(bases[-1]), str(bases))
    check("the runtime stage is a slim image", bases[-1].endswith("-slim") or "-slim@" in bases[-1], bases[-1])

    runs = [(line, args) for line, word, args in insts if word == "RUN"]
    installs = [(line, args) for line, args in runs if re.search(r"apt-get\s+(\S+\s+)*install\b", args)]
    check("apt-get install always has -y and --no-install-recommends",
          all(re.search(r"(^|\s)(-y|--yes|--assume-yes)(\s|$)", a) and "--no-install-recommends" in a for _, a in installs),
          "; ".join(f"line {l}" for l, a in installs if "--no-install-recommends" not in a))
    updates = [(line, args) for line, args in runs if "apt-get update" in args]
    check("apt-get update only with install and rm -rf /var/lib/apt/lists/* in the same RUN",
          all("install" in a and "rm -rf /var/lib/apt/lists/*" in a for _, a in updates),
          "; ".join(f"line {l}" for l, a in updates if "rm -rf /var/lib/apt/lists/*" not in a))
    check("no apt-get upgrade / dist-upgrade", not any(re.search(r"apt-get\s+(dist-)?upgrade", a) for _, a in runs))
    adds = [f"line {l}: {a}" for l, w, a in insts if w == "ADD"]
    check("no ADD (COPY only; never ADD of a URL)", not adds, "; ".join(adds))
    piped = [f"line {l}" for l, a in runs if re.search(r"(curl|wget)[^|]*\|\s*(ba)?sh", a)]
    check("no curl|sh or wget|sh", not piped, "; ".join(piped))
    sudo = [f"line {l}" for l, a in runs if re.search(r"(^|\s|&&|;)sudo\s", a)]
    check("no sudo", not sudo, "; ".join(sudo))
    secrets = [f"line {l}: {a}" for l, w, a in insts if w in ("ENV", "ARG")
               and re.search(r"(PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY)", a, re.IGNORECASE)]
    check("no credentials in ENV or ARG", not secrets, "; ".join(secrets))

    runtime = st[-1][1]
    packages = [p for l, w, a in runtime if w == "RUN" for p in apt_install_packages(a)]
    check("the runtime stage installs packages", bool(packages), "no apt-get install found")
    dev = [p for p in packages if p.endswith("-dev") or p.endswith("-dbg") or p in ("build-essential", "cmake")]
    check("no -dev or build package in the runtime stage", not dev, " ".join(dev))
    users = [a for l, w, a in runtime if w == "USER"]
    last_user = users[-1].split(":")[0] if users else ""
    check("the runtime stage ends as a numeric non-root USER", last_user.isdigit() and int(last_user) != 0,
          users[-1] if users else "no USER")

    def exec_form(word):
        found = [a for l, w, a in runtime if w == word]
        if not found:
            return None
        try:
            value = json.loads(found[-1])
        except json.JSONDecodeError:
            return "shell form"
        return value

    check('ENTRYPOINT ["/usr/local/bin/pulsed"] in exec form', exec_form("ENTRYPOINT") == ["/usr/local/bin/pulsed"],
          str(exec_form("ENTRYPOINT")))
    check('CMD ["serve", "--config", "/etc/pulse/pulse.yaml"] in exec form',
          exec_form("CMD") == ["serve", "--config", "/etc/pulse/pulse.yaml"], str(exec_form("CMD")))
    copies = " ".join(a for l, w, a in runtime if w == "COPY")
    check("the runtime stage copies pulsed and pulsectl from the build stage",
          "--from=" in copies and "pulsed" in copies and "pulsectl" in copies, copies)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
