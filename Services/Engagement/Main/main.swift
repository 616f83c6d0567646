import Engagement
import ServiceKit

await ServiceMain.run(EngagementService.self)
