# The Pulse image: pulsed (the sidecar) and pulsectl (its CLI, also used by `helm test`).
#
#   docker build -t pulse:0.1.0 .
#
# Deploy it with the Helm chart in helm/pulse (it mounts the config at /etc/pulse/pulse.yaml and the store
# volume at /var/lib/pulse, and runs as user 10001 with a read-only root filesystem).
#
# Both stages are Debian 12 (bookworm), so the runtime libraries are the very versions the build linked
# against. tests/helm/check_image_deps.sh keeps the runtime package list equal to what `ldd` reports for
# the built binaries; tests/helm/lint_dockerfile.py checks the rules of this file.

# ---- build ---------------------------------------------------------------------------------------------
FROM debian:12 AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# The image needs only the binaries: pre-seed the CMake cache without tests and benchmarks, then build
# exactly as developers and CI do.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPULSE_BUILD_TESTS=OFF -DPULSE_BUILD_BENCH=OFF >/dev/null \
    && PULSE_BUILD_TYPE=Release bash scripts/build.sh \
    && strip --strip-unneeded build/sidecar/cli/pulsed build/sidecar/cli/pulsectl

# ---- runtime -------------------------------------------------------------------------------------------
FROM debian:12-slim AS runtime
# Exactly the packages of the shared libraries pulsed and pulsectl load (ldd, then dpkg -S), checked by
# tests/helm/check_image_deps.sh; libc6, libgcc-s1 and libstdc++6 come with debian:12-slim. Plus
# ca-certificates: the SuiteCRM and Odoo adapters call the CRM over HTTPS (libcurl and what it loads).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       ca-certificates \
       libabsl20220623 \
       libbrotli1 \
       libc-ares2 \
       libcom-err2 \
       libcpp-httplib0.11 \
       libcurl4 \
       libffi8 \
       libgmp10 \
       libgnutls30 \
       libgrpc++1.51 \
       libgrpc29 \
       libgssapi-krb5-2 \
       libhogweed6 \
       libidn2-0 \
       libk5crypto3 \
       libkeyutils1 \
       libkrb5-3 \
       libkrb5support0 \
       libldap-2.5-0 \
       libnettle8 \
       libnghttp2-14 \
       libp11-kit0 \
       libprotobuf32 \
       libpsl5 \
       libre2-9 \
       librtmp1 \
       libsasl2-2 \
       libsqlite3-0 \
       libssh2-1 \
       libssl3 \
       libtasn1-6 \
       libunistring2 \
       libyaml-cpp0.7 \
       libzstd1 \
       zlib1g \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric non-root user: the chart's securityContext uses the same ids (10001).
RUN groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pulse --no-create-home \
       --shell /usr/sbin/nologin pulse \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/pulse \
    && install -d -m 0755 /etc/pulse
COPY --from=build /src/build/sidecar/cli/pulsed /src/build/sidecar/cli/pulsectl /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/pulse
# gRPC (pulse.v1.RetentionService, health, reflection) and http (/metrics, /healthz).
EXPOSE 50051 9090
# No HEALTHCHECK: Kubernetes probes the standard gRPC health service directly.
ENTRYPOINT ["/usr/local/bin/pulsed"]
CMD ["serve", "--config", "/etc/pulse/pulse.yaml"]
