// Printing, logging or dumping a service's configuration never writes a secret (docs/security.md): the database
// password, the personal-data keys, the token keys, the Kafka SASL password. `ServiceConfiguration` itself keeps
// Swift's default description, which is built from these.

extension DatabaseSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// ``redactedURL`` with the TLS mode: no password.
    public var description: String {
        "DatabaseSettings(\(redactedURL), sslmode \(sslMode.rawValue)"
            + (sslRootCertificatePath.map { ", sslrootcert \($0)" } ?? "") + ")"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the password, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "endpoint": endpoint, "username": username, "password": password == nil ? "nil" : "<redacted>",
                "database": database, "sslMode": sslMode, "sslRootCertificatePath": sslRootCertificatePath as Any,
                "schema": schema, "maximumConnections": maximumConnections,
            ],
            displayStyle: .struct)
    }
}

extension EnvironmentReader: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The names of the variables, never their values (any of them may be a secret).
    public var description: String {
        "EnvironmentReader(\(values.count) variables: \(values.keys.sorted().joined(separator: ", ")))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with the variable names only, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: ["variables": values.keys.sorted()], displayStyle: .struct)
    }
}

extension FieldCipher: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The active key id only: keys are never shown.
    public var description: String { "FieldCipher(active key \"\(activeKeyID)\")" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with the active key id only, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: ["activeKeyID": activeKeyID], displayStyle: .struct)
    }
}
