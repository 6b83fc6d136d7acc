export { ensureTechnicianKey, readTechnicianKey, technicianKeyPath, type TechnicianKey } from './technician.ts';
export { installPublicKey, INSTALL_KEY_SCRIPT } from './install.ts';
