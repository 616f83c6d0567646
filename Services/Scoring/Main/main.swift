import Scoring
import ServiceKit

await ServiceMain.run(ScoringService.self)
