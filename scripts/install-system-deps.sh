#!/usr/bin/env bash
# The system tools and clients the test suite drives (real servers, real attack tools).
# Idempotent: installs only what is missing, and only on an apt-based machine as root.
# When it cannot install, it prints ONE line naming what is missing and exits 0: the tests that
# need those tools then skip with their reason (and fail instead under CI=true).
# Used by `make test` and by .ci/run.
set -euo pipefail

# package:command  (command empty: a library, checked with dpkg only)
DEPS=(
  nmap:nmap hydra:hydra hping3:hping3 masscan:masscan sqlmap:sqlmap dsniff:arpspoof
  bettercap:bettercap tcpdump:tcpdump tshark:tshark tcpreplay:tcpreplay
  openssh-client:ssh openssh-server:sshd sshpass:sshpass lftp:lftp swaks:swaks curl:curl
  libnet-ssleay-perl: libio-socket-ssl-perl:  # swaks' STARTTLS and AUTH over TLS
  ssh-audit:ssh-audit whatweb:whatweb chromium:chromium
  nftables:nft iptables:iptables ipset:ipset conntrack:conntrack iproute2:ip libpcap-dev:
  dnsutils:dig wrk:wrk netcat-openbsd:nc
  inetutils-telnetd:telnetd inetutils-telnet:telnet inetutils-inetd:inetutils-inetd busybox:busybox
  mariadb-client:mariadb postgresql-client:psql redis-tools:redis-cli
  postgresql:pg_ctlcluster redis-server:redis-server
  rsyslog:rsyslogd rsyslog-gnutls:  # the syslog sink's receiver (RFC 5424, CEF, TLS)
  python3-pymysql:  # sqlmap -d mysql://... (its direct mode imports it)
  docker-compose:docker-compose  # tests/deploy: `docker-compose config` on deploy/compose.yaml
  dnsmasq-base:dnsmasq  # tests/integration/verify: real resolvers for the DNS vote
  dante-server:danted privoxy:privoxy  # the verify lab: a SOCKS5 path and HTTP-proxy paths
  wireguard-go:wireguard-go wireguard-tools:wg  # the verify lab: a WireGuard tunnel namespace
  unbound:unbound  # the verify lab: a real DNS-over-TLS / DNS-over-HTTPS resolver
)

have() {  # is package $1 (command $2) present?
  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
  elif [[ -n $2 ]]; then
    command -v "$2" >/dev/null 2>&1 || [[ -x /usr/sbin/$2 ]]
  else
    return 0  # a library on a non-dpkg system: cannot tell, do not claim it missing
  fi
}

missing=()
for dep in "${DEPS[@]}"; do
  have "${dep%%:*}" "${dep#*:}" || missing+=("${dep%%:*}")
done
((${#missing[@]})) || exit 0

why=""
if ! command -v apt-get >/dev/null 2>&1; then
  why="not an apt-based system"
elif [[ $(id -u) -ne 0 ]]; then
  why="not root"
fi
if [[ -n $why ]]; then
  echo "install-system-deps: $why; missing ${missing[*]} (tests needing them skip; with CI=true they fail)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
