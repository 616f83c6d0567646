import Testing

/// Structure of the manifests in `deploy/k8s/` (never applied here: no cluster).
@Suite("deploy/k8s")
struct KubernetesManifestTests {
    static let folder = "deploy/k8s"
    static let namespace = "concierge"

    /// Every document of every `*.yaml` file in the folder, by file name.
    let documents: [String: [YAMLValue]]

    init() throws {
        var documents: [String: [YAMLValue]] = [:]
        for file in try DeployFiles.fileNames(in: Self.folder) where file.hasSuffix(".yaml") {
            // Throws, failing the suite, if any document does not parse.
            documents[file] = try DeployFiles.yamlDocuments("\(Self.folder)/\(file)").filter { $0 != .null }
        }
        self.documents = documents
    }

    private func resources(in file: String) throws -> [YAMLValue] {
        try #require(documents[file], "\(Self.folder)/\(file) is missing")
    }

    private func resource(kind: String, in file: String, named name: String? = nil) throws -> YAMLValue {
        let matching = try resources(in: file).filter {
            $0["kind"]?.string == kind && (name == nil || $0["metadata"]?["name"]?.string == name)
        }
        try #require(matching.count == 1, "\(file) should contain exactly one \(kind) \(name ?? "")")
        return matching[0]
    }

    private var configMapName: String {
        get throws { try #require(try resource(kind: "ConfigMap", in: "configmap.yaml")["metadata"]?["name"]?.string) }
    }

    private var exampleSecret: YAMLValue {
        get throws { try resource(kind: "Secret", in: "secrets.example.yaml", named: "concierge-database") }
    }

    @Test(
        "H-03 intake and assignment read their personal-data key ring from the concierge-pii Secret; the example holds no key",
        arguments: ["intake", "assignment"])
    func personalDataKeys(service: String) throws {
        let secret = try resource(kind: "Secret", in: "secrets.example.yaml", named: "concierge-pii")
        let stringData = try #require(secret["stringData"]).keyValues
        let keys = try #require(stringData["PII_ENCRYPTION_KEYS"])
        #expect(keys.contains("REPLACE_ME"))
        let deployment = try resource(kind: "Deployment", in: "\(service).yaml")
        let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.list?.first)
        let env = try #require(container["env"]?.list)
        let entry = try #require(env.first { $0["name"]?.string == "PII_ENCRYPTION_KEYS" })
        #expect(entry["valueFrom"]?["secretKeyRef"]?["name"]?.string == "concierge-pii")
        #expect(entry["valueFrom"]?["secretKeyRef"]?["key"]?.string == "PII_ENCRYPTION_KEYS")
    }

    @Test(
        "H-09 every service reads the bearer-token key ring from the concierge-auth Secret; the example holds no key",
        arguments: ["intake", "assignment", "engagement", "complaints", "scoring"])
    func accessTokenKeys(service: String) throws {
        let secret = try resource(kind: "Secret", in: "secrets.example.yaml", named: "concierge-auth")
        let stringData = try #require(secret["stringData"]).keyValues
        let keys = try #require(stringData["AUTH_JWT_KEYS"])
        #expect(keys.contains("REPLACE_ME"))
        let deployment = try resource(kind: "Deployment", in: "\(service).yaml")
        let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.list?.first)
        let env = try #require(container["env"]?.list)
        let entry = try #require(env.first { $0["name"]?.string == "AUTH_JWT_KEYS" })
        #expect(entry["valueFrom"]?["secretKeyRef"]?["name"]?.string == "concierge-auth")
        #expect(entry["valueFrom"]?["secretKeyRef"]?["key"]?.string == "AUTH_JWT_KEYS")
    }

    // MARK: - Files

    @Test("every manifest is a Kubernetes object in the concierge namespace")
    func everyDocumentIsAnObject() throws {
        #expect(!documents.isEmpty)
        for (file, objects) in documents where file != "kustomization.yaml" {
            #expect(!objects.isEmpty, "\(file) has no documents")
            for object in objects {
                let kind = try #require(object["kind"]?.string, "\(file): a document has no kind")
                #expect(object["apiVersion"]?.string != nil, "\(file): \(kind) has no apiVersion")
                let metadata = try #require(object["metadata"], "\(file): \(kind) has no metadata")
                #expect(metadata["name"]?.string != nil, "\(file): \(kind) has no name")
                #expect(metadata["labels"]?["app.kubernetes.io/part-of"]?.string == "concierge")
                if kind != "Namespace" {
                    #expect(metadata["namespace"]?.string == Self.namespace, "\(file): \(kind) outside the namespace")
                }
            }
        }
    }

    @Test("kustomization.yaml lists every manifest except the example Secret")
    func kustomization() throws {
        let kustomization = try #require(try resources(in: "kustomization.yaml").first)
        #expect(kustomization["kind"]?.string == "Kustomization")
        #expect(kustomization["namespace"]?.string == Self.namespace)
        let listed = try #require(kustomization["resources"]).strings
        let expected = documents.keys.filter { $0 != "kustomization.yaml" && $0 != "secrets.example.yaml" }
        #expect(Set(listed) == Set(expected))
        #expect(listed.count == Set(listed).count, "a resource is listed twice")
        #expect(!listed.contains("secrets.example.yaml"), "applying the example would overwrite real credentials")
        #expect(listed.first == "namespace.yaml")
    }

    @Test("namespace.yaml creates the concierge namespace")
    func namespace() throws {
        let namespace = try resource(kind: "Namespace", in: "namespace.yaml")
        #expect(namespace["metadata"]?["name"]?.string == Self.namespace)
    }

    @Test("configmap.yaml holds the common non-secret settings")
    func configMap() throws {
        let data = try #require(try resource(kind: "ConfigMap", in: "configmap.yaml")["data"]).keyValues
        #expect(data["KAFKA_BROKERS"]?.isEmpty == false)
        #expect(data["BUSINESS_TIME_ZONE"] == "Asia/Shanghai")
        #expect(data["LOG_FORMAT"] == "json")
        #expect(data["HTTP_HOST"] == "0.0.0.0")
        #expect(data["DATABASE_URL"] == nil, "credentials belong in a Secret")
    }

    @Test("secrets.example.yaml has a placeholder DATABASE_URL per service", arguments: ConciergeService.all)
    func exampleSecretEntry(_ concierge: ConciergeService) throws {
        let stringData = try #require(try exampleSecret["stringData"]).keyValues
        let url = try #require(stringData["\(concierge.environmentPrefix)_DATABASE_URL"])
        #expect(url.hasPrefix("postgres://\(concierge.name):"))
        #expect(url.contains("REPLACE_ME"), "the example must not hold a usable password")
        #expect(url.contains("/concierge"))
    }

    // MARK: - Per service

    @Test("each service file has one Deployment and one Service", arguments: ConciergeService.all)
    func serviceFile(_ concierge: ConciergeService) throws {
        let objects = try resources(in: "\(concierge.name).yaml")
        #expect(objects.compactMap { $0["kind"]?.string }.sorted() == ["Deployment", "Service"])
        for object in objects {
            #expect(object["metadata"]?["name"]?.string == concierge.name)
            #expect(object["metadata"]?["labels"]?["app.kubernetes.io/name"]?.string == concierge.name)
        }
    }

    @Test("Deployment: 2 replicas, labels, named port, graceful shutdown", arguments: ConciergeService.all)
    func deployment(_ concierge: ConciergeService) throws {
        let deployment = try resource(kind: "Deployment", in: "\(concierge.name).yaml")
        let spec = try #require(deployment["spec"])
        #expect(spec["replicas"]?.int == 2)

        let selector = try #require(spec["selector"]?["matchLabels"]).keyValues
        let podLabels = try #require(spec["template"]?["metadata"]?["labels"]).keyValues
        #expect(selector["app.kubernetes.io/name"] == concierge.name)
        #expect(podLabels["app.kubernetes.io/name"] == concierge.name)
        #expect(podLabels["app.kubernetes.io/part-of"] == "concierge")
        #expect(selector.allSatisfy { podLabels[$0.key] == $0.value }, "selector must match the pod labels")

        let pod = try #require(spec["template"]?["spec"])
        #expect(pod["terminationGracePeriodSeconds"]?.int == 45)
        let container = try #require(pod["containers"]?.list?.first)
        #expect(container["image"]?.string?.hasPrefix("concierge/\(concierge.name):") == true)
        let port = try #require(container["ports"]?.list?.first { $0["name"]?.string == "http" })
        #expect(port["containerPort"]?.int == concierge.port)
    }

    @Test("Deployment: probes on /health/live and /health/ready via the named port", arguments: ConciergeService.all)
    func probes(_ concierge: ConciergeService) throws {
        let container = try container(of: concierge)
        let expectedPaths = [
            ("startupProbe", "/health/live"),
            ("livenessProbe", "/health/live"),
            ("readinessProbe", "/health/ready"),
        ]
        for (probe, path) in expectedPaths {
            let httpGet = try #require(container[probe]?["httpGet"], "\(concierge.name) has no \(probe)")
            #expect(httpGet["path"]?.string == path, "\(concierge.name) \(probe)")
            #expect(httpGet["port"]?.string == "http", "\(concierge.name) \(probe)")
        }
    }

    @Test("Deployment: env from the ConfigMap, DATABASE_URL from the Secret", arguments: ConciergeService.all)
    func environment(_ concierge: ConciergeService) throws {
        let container = try container(of: concierge)
        let configMapNames = (container["envFrom"]?.list ?? []).compactMap { $0["configMapRef"]?["name"]?.string }
        #expect(configMapNames.contains(try configMapName))

        let env = try #require(container["env"]?.list)
        let httpPort = try #require(env.first { $0["name"]?.string == "HTTP_PORT" })
        #expect(httpPort["value"]?.string == String(concierge.port))

        let databaseURL = try #require(env.first { $0["name"]?.string == "DATABASE_URL" })
        let secretRef = try #require(databaseURL["valueFrom"]?["secretKeyRef"], "DATABASE_URL is not from a Secret")
        let secret = try exampleSecret
        #expect(secretRef["name"]?.string == secret["metadata"]?["name"]?.string)
        let key = try #require(secretRef["key"]?.string)
        #expect(key == "\(concierge.environmentPrefix)_DATABASE_URL")
        #expect(secret["stringData"]?[key] != nil, "the example Secret has no key \(key)")
    }

    @Test("Deployment: non-root, read-only root, resources set", arguments: ConciergeService.all)
    func hardening(_ concierge: ConciergeService) throws {
        let deployment = try resource(kind: "Deployment", in: "\(concierge.name).yaml")
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        let container = try container(of: concierge)
        let podSecurity = try #require(pod["securityContext"])
        #expect(podSecurity["runAsNonRoot"] == .bool(true))
        // The same numeric user as the image (deploy/Dockerfile USER).
        let dockerfile = ParsedDockerfile(try DeployFiles.text("deploy/Dockerfile"))
        let imageUser = dockerfile.stages.last?.all("USER").last?.arguments.split(separator: ":").first
        #expect(podSecurity["runAsUser"]?.string == imageUser.map(String.init))

        let containerSecurity = try #require(container["securityContext"])
        #expect(containerSecurity["readOnlyRootFilesystem"] == .bool(true))
        #expect(containerSecurity["allowPrivilegeEscalation"] == .bool(false))

        let resources = try #require(container["resources"])
        for section in ["requests", "limits"] {
            #expect(resources[section]?["cpu"]?.string != nil, "\(concierge.name) has no cpu \(section)")
            #expect(resources[section]?["memory"]?.string != nil, "\(concierge.name) has no memory \(section)")
        }
    }

    @Test("Service: ClusterIP, port 80 to the named port, the Deployment's pods", arguments: ConciergeService.all)
    func service(_ concierge: ConciergeService) throws {
        let service = try resource(kind: "Service", in: "\(concierge.name).yaml")
        let deployment = try resource(kind: "Deployment", in: "\(concierge.name).yaml")
        let spec = try #require(service["spec"])
        #expect(spec["type"]?.string == "ClusterIP")
        let port = try #require(spec["ports"]?.list?.first)
        #expect(port["port"]?.int == 80)
        #expect(port["targetPort"]?.string == "http")
        let selector = try #require(spec["selector"]).keyValues
        let podLabels = try #require(deployment["spec"]?["template"]?["metadata"]?["labels"]).keyValues
        #expect(!selector.isEmpty)
        #expect(selector.allSatisfy { podLabels[$0.key] == $0.value })
    }

    private func container(of concierge: ConciergeService) throws -> YAMLValue {
        let deployment = try resource(kind: "Deployment", in: "\(concierge.name).yaml")
        return try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.list?.first)
    }
}
