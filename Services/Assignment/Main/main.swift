import Assignment
import ServiceKit

await ServiceMain.run(AssignmentService.self)
