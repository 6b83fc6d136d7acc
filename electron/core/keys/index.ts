export { ensureTechnicianKey, readTechnicianKey, technicianKeyPath, type TechnicianKey } from './technician.ts';
