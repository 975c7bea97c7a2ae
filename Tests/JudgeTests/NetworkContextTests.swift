import Judge
import Testing
import Wire

@Suite struct NetworkContextTests {
    @Test(arguments: [
        ("192.168.178.91", true), ("10.20.0.5", true), ("172.31.255.1", true), ("172.32.0.1", false),
        ("100.64.1.1", true), ("100.128.0.1", false), ("203.0.113.7", false), ("fd00::1", true),
        ("fe80::1", true), ("2001:db8::1", false),
    ])
    func privateAddresses(text: String, isPrivate: Bool) throws {
        #expect(NetworkContext().isPrivate(try #require(IPAddress(text))) == isPrivate)
    }

    @Test func prefixes() throws {
        let v4 = try #require(Prefix("52.112.0.0/14"))
        #expect(v4.contains(try #require(IPAddress("52.115.255.255"))))
        #expect(!v4.contains(try #require(IPAddress("52.116.0.0"))))
        let v6 = try #require(Prefix("2603:1063::/38"))
        #expect(v6.contains(try #require(IPAddress("2603:1063:3ff::1"))))
        #expect(!v6.contains(try #require(IPAddress("2603:1063:400::1"))))
        #expect(try #require(Prefix("0.0.0.0/0")).contains(try #require(IPAddress("8.8.8.8"))))
        #expect(Prefix("10.0.0.0/33") == nil)
        #expect(Prefix("nonsense/8") == nil)
    }

    @Test func teamsRelayNeedsARelayPort() throws {
        let context = NetworkContext()
        let relay = Endpoint(address: try #require(IPAddress("52.113.10.5")), port: 3478)
        let web = Endpoint(address: try #require(IPAddress("52.113.10.5")), port: 443)
        #expect(context.isRelayRange(relay))
        #expect(!context.isRelayRange(web))
    }

    @Test func sameLANIsOnePrivateSubnet() throws {
        let context = NetworkContext()
        let a = try #require(IPAddress("192.168.178.91")), b = try #require(IPAddress("192.168.178.89"))
        let c = try #require(IPAddress("192.168.179.1")), d = try #require(IPAddress("198.51.100.1"))
        #expect(context.sameLAN(a, b))
        #expect(!context.sameLAN(a, c))
        #expect(!context.sameLAN(d, d))
    }
}
