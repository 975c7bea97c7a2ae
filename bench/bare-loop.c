/* The floor for `make bench`: read every packet of a capture through libpcap and do nothing
 * else but touch the length. By default with libpcap's own file handling (a plain libpcap
 * loop, the goal's reference); with --as-callpath the way callpath's capture layer reads
 * (a 64 KiB stdio buffer and the stream's lock held for the whole loop), so the bench can also
 * show how much of callpath's time is reading. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    int asCallpath = argc == 3 && strcmp(argv[2], "--as-callpath") == 0;
    if (argc != 2 && !asCallpath) { fprintf(stderr, "usage: bare-loop FILE [--as-callpath]\n"); return 64; }
    FILE *file = NULL;
    pcap_t *p;
    if (asCallpath) {
        static char buffer[1 << 16];
        file = fopen(argv[1], "rb");
        if (!file) { perror("bare-loop"); return 66; }
        setvbuf(file, buffer, _IOFBF, sizeof buffer);
        p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    } else {
        p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    }
    if (!p) { fprintf(stderr, "bare-loop: %s\n", errbuf); return 66; }
    struct pcap_pkthdr *h; const u_char *d;
    unsigned long long packets = 0, bytes = 0, first = 0;
    if (file) flockfile(file);
    while (pcap_next_ex(p, &h, &d) == 1) { packets++; bytes += h->len; first += d[0]; }
    if (file) funlockfile(file);
    printf("%llu packets, %llu bytes (%llu)\n", packets, bytes, first & 1);
    pcap_close(p);
    return 0;
}
