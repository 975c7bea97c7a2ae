import Testing
import Wire

@Suite struct IPAddressTests {
    /// RFC 5952 §4 recommendations: lowercase, no leading zeros, longest zero run compressed
    /// (the first on a tie), a single zero group not compressed, IPv4-mapped with a dotted tail.
    @Test(arguments: [
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("fe80:0:0:0:21a:a0ff:fe07:32e0", "fe80::21a:a0ff:fe07:32e0"),
        ("0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"),
        ("2001:db8:0:0:0:0:0:0", "2001:db8::"),
    ])
    func formatsIPv6(input: String, expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == expected)
        #expect(IPAddress(expected) == address)
    }

    @Test func formatsIPv4() throws {
        #expect(IPAddress(v4: 0xC000_0201).description == "192.0.2.1")
        #expect(try #require(IPAddress("203.0.113.255")).v4Value == 0xCB00_71FF)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1.2.3.4.5"])
    func rejectsBadText(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func endpointsPrintTheWayWiresharkDoes() throws {
        let v6 = Endpoint(address: try #require(IPAddress("2001:db8::1")), port: 443)
        #expect(v6.description == "[2001:db8::1]:443")
        #expect(Endpoint(address: IPAddress(v4: 0xC0A8_B25B), port: 50012).description == "192.168.178.91:50012")
    }

    @Test func ipv4SortsBeforeIPv6() throws {
        #expect(IPAddress(v4: 0xFFFF_FFFF) < (try #require(IPAddress("::1"))))
    }
}
