/// L2TP version 2 over UDP 1701 (RFC 2661 §3.1): data messages carry PPP. `L2TPHeader` reads
/// the header; FrameDecoder follows data messages into PPP.
public enum L2TP {
    public static let port: UInt16 = 1701
}
