import Intake
import ServiceKit

await ServiceMain.run(IntakeService.self)
