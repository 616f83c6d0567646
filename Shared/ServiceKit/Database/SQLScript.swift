/// Splits a migration file into statements for PostgresNIO, which runs one statement per query (extended protocol).
///
/// Semicolons inside quoted strings, quoted identifiers, dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`) and
/// comments do not end a statement.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0

        func flush() {
            let statement = current.trimmingWhitespace()
            if !statement.isEmpty, !statement.allSatisfy({ $0 == ";" }) { statements.append(statement) }
            current = ""
        }

        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "-" where next == "-":
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            case "/" where next == "*":
                index += 2
                while index + 1 < characters.count, !(characters[index] == "*" && characters[index + 1] == "/") {
                    index += 1
                }
                index += 2
                continue
            case "'", "\"":
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        // A doubled quote is an escaped quote inside the literal.
                        if index + 1 < characters.count, characters[index + 1] == character {
                            current.append(characters[index + 1])
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
                continue
            case "$":
                if let tag = dollarTag(characters, at: index) {
                    current.append(contentsOf: tag)
                    index += tag.count
                    while index < characters.count, !matches(characters, tag, at: index) {
                        current.append(characters[index])
                        index += 1
                    }
                    if index < characters.count {
                        current.append(contentsOf: tag)
                        index += tag.count
                    }
                    continue
                }
            case ";":
                flush()
                index += 1
                continue
            default:
                break
            }
            current.append(character)
            index += 1
        }
        flush()
        return statements
    }

    /// `$tag$` or `$$` starting at `index`, else nil (a `$1` placeholder is not a tag).
    private static func dollarTag(_ characters: [Character], at index: Int) -> String? {
        var end = index + 1
        while end < characters.count, characters[end] == "_" || characters[end].isLetter
            || (end > index + 1 && characters[end].isNumber)
        {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return String(characters[index...end])
    }

    private static func matches(_ characters: [Character], _ tag: String, at index: Int) -> Bool {
        let tagCharacters = Array(tag)
        guard index + tagCharacters.count <= characters.count else { return false }
        return Array(characters[index..<index + tagCharacters.count]) == tagCharacters
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
