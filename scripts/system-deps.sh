#!/usr/bin/env bash
# Installs the Debian packages that the integration suites drive for real:
# prometheus (prometheus, promtool), prometheus-alertmanager (alertmanager, amtool),
# prometheus-pushgateway, chromium, and sqlite3 (the shell, for the database salvage test). Quiet when everything is already there.
set -u
need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: cannot install ${need[*]} (needs root and apt-get)" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the packages' services from starting: the tests start their own on loopback.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/qobs-apt.log 2>&1
rc=$?
rm -f /usr/sbin/policy-rc.d
if [ $rc -ne 0 ]; then echo "system-deps: apt-get failed, see /tmp/qobs-apt.log" >&2; tail -20 /tmp/qobs-apt.log >&2; exit 1; fi
# The packaged daemons may have been started by their postinst despite policy-rc.d on some systems.
pkill -x prometheus 2>/dev/null; pkill -f prometheus-alertmanager 2>/dev/null; pkill -f prometheus-pushgateway 2>/dev/null; pkill -f prometheus-node-exporter 2>/dev/null
exit 0
