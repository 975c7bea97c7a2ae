/* The floor for `make bench`: read every packet of a capture through libpcap and do nothing
 * else but touch the length, the way callpath's capture layer reads it. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: bare-loop FILE\n"); return 64; }
    pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) { fprintf(stderr, "bare-loop: %s\n", errbuf); return 66; }
    struct pcap_pkthdr *h; const u_char *d;
    unsigned long long packets = 0, bytes = 0, first = 0;
    while (pcap_next_ex(p, &h, &d) == 1) { packets++; bytes += h->len; first += d[0]; }
    printf("%llu packets, %llu bytes (%llu)\n", packets, bytes, first & 1);
    pcap_close(p);
    return 0;
}
