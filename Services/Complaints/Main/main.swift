import Complaints
import ServiceKit

await ServiceMain.run(ComplaintsService.self)
