#!/bin/bash
# Build / tear down the callpath test field in network namespaces.
# Sourced by make-captures.sh.  All namespaces are prefixed "cpt-".
#
#   PC1 192.168.178.91 ┐                          ┌ PC3 10.20.0.30
#   PC2 192.168.178.89 ┼ homesw ─ home (NAT) ─┐   ┼ vpn 10.20.0.5 (SSTP) / 10.20.0.6 (OpenVPN)
#                      ┘ .1   198.51.100.10   │   ┘ corpsw ─ fw (NAT) 203.0.113.10/.11/.12
#                                           core ─────────────┘
#                                             └─ cloud: turn 192.0.2.10, sbc 192.0.2.20
NS_ALL="cpt-isp cpt-core cpt-home cpt-homesw cpt-pc1 cpt-pc2 cpt-fw cpt-corpsw cpt-pc3 cpt-vpn cpt-turn cpt-sbc"

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# veth between two namespaces: link NS_A IF_A NS_B IF_B
link() {
  ip link add "tmp$$a" type veth peer name "tmp$$b"
  ip link set "tmp$$a" netns "$1"; ip link set "tmp$$b" netns "$3"
  nsx "$1" ip link set "tmp$$a" name "$2"; nsx "$3" ip link set "tmp$$b" name "$4"
  nsx "$1" ip link set "$2" up; nsx "$3" ip link set "$4" up
}

mkns() {
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

mkswitch() {  # a namespace holding one bridge br0, bridge netfilter off
  mkns "$1"
  nsx "$1" ip link add br0 type bridge
  nsx "$1" ip link set br0 up
  for k in iptables ip6tables arptables; do
    [ -e /proc/sys/net/bridge/bridge-nf-call-$k ] && nsx "$1" sysctl -qw net.bridge.bridge-nf-call-$k=0 || true
  done
}
swport() { nsx "$1" ip link set "$2" master br0; }

topo_down() {
  for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null || true; done
}

topo_up() {
  topo_down
  for ns in cpt-core cpt-home cpt-pc1 cpt-pc2 cpt-fw cpt-pc3 cpt-vpn cpt-turn cpt-sbc; do mkns $ns; done
  mkswitch cpt-homesw; mkswitch cpt-corpsw

  # ---- internet core: connected routes only, no default route
  nsx cpt-core sysctl -qw net.ipv4.ip_forward=1
  link cpt-core c-home cpt-home wan0
  link cpt-core c-corp cpt-fw wan0
  link cpt-core c-turn cpt-turn eth0
  link cpt-core c-sbc  cpt-sbc eth0
  nsx cpt-core ip addr add 198.51.100.1/24 dev c-home
  nsx cpt-core ip addr add 203.0.113.1/24 dev c-corp
  nsx cpt-core ip addr add 192.0.2.1/25 dev c-turn
  nsx cpt-core ip addr add 192.0.2.129/25 dev c-sbc

  # ---- cloud: TURN server and SBC
  nsx cpt-turn ip addr add 192.0.2.10/25 dev eth0
  nsx cpt-turn ip route add default via 192.0.2.1
  nsx cpt-sbc ip addr add 192.0.2.130/25 dev eth0
  nsx cpt-sbc ip route add default via 192.0.2.129

  # ---- home: switch, router with NAT, PC1, PC2
  link cpt-homesw p-router cpt-home lan0
  link cpt-homesw p-pc1 cpt-pc1 eth0
  link cpt-homesw p-pc2 cpt-pc2 eth0
  for p in p-router p-pc1 p-pc2; do swport cpt-homesw $p; done
  nsx cpt-home ip addr add 192.168.178.1/24 dev lan0
  nsx cpt-home ip addr add 198.51.100.10/24 dev wan0
  nsx cpt-home ip route add default via 198.51.100.1
  nsx cpt-home sysctl -qw net.ipv4.ip_forward=1
  nsx cpt-pc1 ip link set eth0 address 02:00:c0:a8:b2:5b
  nsx cpt-pc2 ip link set eth0 address 02:00:c0:a8:b2:59
  nsx cpt-pc1 ip addr add 192.168.178.91/24 dev eth0
  nsx cpt-pc2 ip addr add 192.168.178.89/24 dev eth0
  nsx cpt-pc1 ip route add default via 192.168.178.1
  nsx cpt-pc2 ip route add default via 192.168.178.1
  nsx cpt-home iptables-restore <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:HOMEOUT - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -i lan0 -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i lan0 -o wan0 -j HOMEOUT
-A HOMEOUT -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o wan0 -j MASQUERADE
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
R

  # ---- company: switch, firewall with outbound NAT, PC3, VPN server
  link cpt-corpsw p-fw cpt-fw lan0
  link cpt-corpsw p-pc3 cpt-pc3 eth0
  link cpt-corpsw p-vpn cpt-vpn eth0
  for p in p-fw p-pc3 p-vpn; do swport cpt-corpsw $p; done
  nsx cpt-fw ip addr add 10.20.0.1/24 dev lan0
  nsx cpt-fw ip addr add 203.0.113.10/24 dev wan0
  nsx cpt-fw ip addr add 203.0.113.11/24 dev wan0
  nsx cpt-fw ip addr add 203.0.113.12/24 dev wan0
  nsx cpt-fw ip addr add 203.0.113.13/24 dev wan0
  nsx cpt-fw ip route add default via 203.0.113.1
  nsx cpt-fw ip route add 10.20.99.0/24 via 10.20.0.5
  nsx cpt-fw ip route add 10.20.98.0/24 via 10.20.0.6
  nsx cpt-fw sysctl -qw net.ipv4.ip_forward=1
  nsx cpt-pc3 ip addr add 10.20.0.30/24 dev eth0
  nsx cpt-pc3 ip route add default via 10.20.0.1
  nsx cpt-vpn ip addr add 10.20.0.5/24 dev eth0
  nsx cpt-vpn ip addr add 10.20.0.6/24 dev eth0
  nsx cpt-vpn ip addr add 10.20.0.7/24 dev eth0
  nsx cpt-vpn ip route add default via 10.20.0.1
  nsx cpt-vpn sysctl -qw net.ipv4.ip_forward=1
  nsx cpt-vpn sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  nsx cpt-fw iptables-restore <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -i lan0 -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i wan0 -o lan0 -d 10.20.0.5 -p tcp --dport 443 -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i wan0 -o lan0 -d 10.20.0.6 -p tcp --dport 443 -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i wan0 -o lan0 -d 10.20.0.7 -p tcp --dport 443 -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i lan0 -o wan0 -j ACCEPT
-A FORWARD -i lan0 -o lan0 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i wan0 -d 203.0.113.10 -p tcp --dport 443 -j DNAT --to-destination 10.20.0.5:443
-A PREROUTING -i wan0 -d 203.0.113.12 -p tcp --dport 443 -j DNAT --to-destination 10.20.0.6:443
-A PREROUTING -i wan0 -d 203.0.113.13 -p tcp --dport 443 -j DNAT --to-destination 10.20.0.7:443
-A POSTROUTING -o wan0 -s 10.20.0.0/16 -j SNAT --to-source 203.0.113.11
COMMIT
R
}

# ---- IPv6 inside the company, only while the IP-HTTPS scenario runs (IPv6 is otherwise disabled
#      everywhere, so no other scenario's agents gather IPv6 candidates).
#      Company LAN 2001:db8:20::/64; IP-HTTPS prefix 2001:db8:20:97::/64 behind the VPN server.
corp6_up() {
  nsx cpt-vpn sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
  nsx cpt-vpn ip -6 addr add 2001:db8:20::7/64 dev eth0 nodad
  nsx cpt-pc3 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
  nsx cpt-pc3 ip -6 addr add 2001:db8:20::30/64 dev eth0 nodad
  nsx cpt-pc3 ip -6 route add 2001:db8:20:97::/64 via 2001:db8:20::7
}
corp6_down() {
  nsx cpt-pc3 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
  nsx cpt-vpn sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
}

# ---- carrier-grade NAT: an ISP namespace between the home router and the core, only while the
#      CGNAT scenario runs.  The home router's wan0 (the veth to the core) is moved into cpt-isp
#      and becomes the ISP's uplink up0 with the CGN's public address 198.51.100.20; the home
#      router gets a new wan0 in 100.64.0.0/10 (RFC 6598 shared address space) towards the ISP.
#      cgnat_down puts everything back exactly as topo_up made it.
CGN_PUBLIC=198.51.100.20
CGN_HOME_WAN=100.87.23.140
CGN_ISP_IN=100.64.0.1
cgnat_up() {
  mkns cpt-isp
  ip -n cpt-home link set wan0 netns cpt-isp
  nsx cpt-isp ip link set wan0 name up0
  nsx cpt-isp ip link set up0 up
  nsx cpt-isp ip addr add $CGN_PUBLIC/24 dev up0
  nsx cpt-isp ip route add default via 198.51.100.1
  nsx cpt-isp sysctl -qw net.ipv4.ip_forward=1
  link cpt-isp cust0 cpt-home wan0
  nsx cpt-isp ip addr add $CGN_ISP_IN/10 dev cust0
  nsx cpt-home ip addr add $CGN_HOME_WAN/10 dev wan0
  nsx cpt-home ip route add default via $CGN_ISP_IN
  nsx cpt-isp iptables-restore <<R
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -i cust0 -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i cust0 -o up0 -s 100.64.0.0/10 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o up0 -s 100.64.0.0/10 -j SNAT --to-source $CGN_PUBLIC
COMMIT
R
}
cgnat_down() {
  ip netns list | grep -qw cpt-isp || return 0
  nsx cpt-home ip link del wan0 2>/dev/null || true
  ip -n cpt-isp link set up0 netns cpt-home
  nsx cpt-home ip link set up0 name wan0
  nsx cpt-home ip link set wan0 up
  nsx cpt-home ip addr add 198.51.100.10/24 dev wan0
  nsx cpt-home ip route add default via 198.51.100.1
  ip netns del cpt-isp
}
