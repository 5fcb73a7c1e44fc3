extension Endpoint {
    /// Parses `http.listeners` (`HTTP://host:port`, at most one): the broker's HTTP listener for `/metrics`. Any
    /// other listener name is refused with one line naming the key, as the other listener keys are.
    public static func parseHTTPList(_ text: String) throws(ConfigError) -> [Endpoint] {
        for piece in text.split(separator: ",") {
            let item = piece.trimmingBlanksForHTTP()
            guard !item.isEmpty else { continue }
            guard let sep = item.range(of: "://"), item[..<sep.lowerBound].uppercased() == "HTTP" else {
                throw ConfigError.invalidValue(
                    key: "http.listeners", value: text,
                    reason: "Unable to parse \(item) to an HTTP endpoint; expected HTTP://host:port")
            }
        }
        return try parseList(text, securityProtocolMap: ["HTTP": .plaintext], key: "http.listeners")
    }
}

extension Substring {
    fileprivate func trimmingBlanksForHTTP() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
